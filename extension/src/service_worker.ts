// The service worker: every network call to the Baton server goes through it.
export {};
