// Vite's `?raw` imports: a file's text (the fixture pages).
declare module "*?raw" {
  const text: string;
  export default text;
}
