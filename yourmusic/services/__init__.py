"""Domain logic. Every function takes the tenant explicitly; no transport types in here."""
