-- A service whose main chunk never returns (test/lua/endless_main.lua): the
-- loader runs it on a thread of its own, and the interrupt must reach it.
while true do end
