// The side panel.
export {};
