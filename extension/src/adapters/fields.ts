// Label/value pairs as CRM record pages lay them out: a container holding a label element
// and a value element. Labels are compared loosely (case, spaces, punctuation, a trailing
// "*" or ":" ignored), so "Account Name" finds "Account name:".

import { isHiddenInTree, oneLine, textOf } from "./text";

export interface FieldLayout {
  /** One field's container. */
  container: string;
  /** The label inside it (or an attribute of the container, see labelAttribute). */
  label: string;
  /** The value inside it. */
  value: string;
  /** A container attribute that carries the label (Lightning's `field-label`). */
  labelAttribute?: string;
}

export function normaliseLabel(text: string | null | undefined): string {
  return (text ?? "").toLowerCase().replace(/[^a-z0-9]+/g, "");
}

/** The value of the first visible field whose label is one of `labels` (in that order of
 * preference), one line, or undefined. */
export function fieldValue(
  root: ParentNode,
  layouts: readonly FieldLayout[],
  labels: readonly string[],
): string | undefined {
  const element = fieldElement(root, layouts, labels);
  if (!element) return undefined;
  const text = oneLine(textOf(element) || element.getAttribute("title"));
  return text === "" ? undefined : text;
}

/** The value element of the first visible field labelled one of `labels`. */
export function fieldElement(
  root: ParentNode,
  layouts: readonly FieldLayout[],
  labels: readonly string[],
): Element | undefined {
  const wanted = labels.map(normaliseLabel);
  const found = new Map<string, Element>();
  for (const layout of layouts) {
    for (const container of Array.from(root.querySelectorAll(layout.container))) {
      const label = labelOf(container, layout);
      if (!wanted.includes(label) || found.has(label)) continue;
      if (isHiddenInTree(container)) continue;
      const value = container.querySelector(layout.value);
      if (value && textOf(value) !== "") found.set(label, value);
    }
  }
  for (const label of wanted) {
    const value = found.get(label);
    if (value) return value;
  }
  return undefined;
}

function labelOf(container: Element, layout: FieldLayout): string {
  if (layout.labelAttribute) {
    const attribute = container.getAttribute(layout.labelAttribute);
    if (attribute) return normaliseLabel(attribute);
  }
  const label = container.querySelector(layout.label);
  return label ? normaliseLabel(textOf(label) || label.getAttribute("title")) : "";
}
