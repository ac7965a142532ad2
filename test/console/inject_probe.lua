-- Injected by the console test into .echo: reaches the CMD table its
-- "lua" dispatcher closes over.
print("injected", _P.lua.CMD.ping())
