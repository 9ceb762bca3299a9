"""Pure claims domain: aggregates, rules and calendars. No I/O, no clock reads."""
