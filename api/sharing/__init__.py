"""Tracked share links for buyers: a rep shares a live, shareable asset with a deal's buyer
through a public page Baton serves, and learns whether (and how) the buyer read it."""
