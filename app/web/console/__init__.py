"""The operator console page: state, screen-pop, case form, transfers and call-backs (plain JavaScript)."""
