-- A module that requires itself while it loads (test_require).
return require "loop_mod"
