-- A module whose body raises (test_require): require must raise the same
-- error each time and never register it.
RAISING_MOD_LOADS = (RAISING_MOD_LOADS or 0) + 1
error("raising_mod failed to load")
