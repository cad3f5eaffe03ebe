// Mail threads as a rep reads them: the subject first, then the messages; when the thread is
// longer than the text allows, the newest messages are kept (the latest reply carries the
// open questions).

import { MAX_TEXT } from "../messages";
import { cap } from "./text";

export function threadText(subject: string | undefined, messages: readonly string[]): string {
  const head = subject ? `${subject}\n\n` : "";
  const kept: string[] = [];
  let room = MAX_TEXT - head.length;
  for (let index = messages.length - 1; index >= 0 && room > 0; index -= 1) {
    const message = messages[index]?.trim() ?? "";
    if (message === "") continue;
    const part = message.length + 2 <= room ? message : cap(message, Math.max(room - 2, 0));
    if (part === "") break;
    kept.unshift(part);
    room -= part.length + 2;
  }
  return cap(head + kept.join("\n\n"));
}
