-- Servers whose user handlers raise, for test_socket_handler_error:
-- "listen" serves lines over skynet.socket (an echo; the line "boom" makes
-- the accept callback raise while it reads), "raise_next" makes the next
-- accept callback raise before it starts the socket, "handover_next" makes
-- it hand the next connection to another service and raise after;
-- "websocket" serves WebSocket echo (the message "boom" raises in
-- handle.message).  "agent" fd: serve fd here (the other end of a handover).
local skynet = require "skynet"
local socket = require "skynet.socket"
local websocket = require "http.websocket"

local next_accept
local ws_results = {}

local function echo_lines(id, prefix)
	while true do
		local line = socket.readline(id)
		if not line then
			socket.close(id)
			return
		end
		if line == "boom" then
			error("data boom on " .. id)
		end
		socket.write(id, prefix .. line .. "\n")
	end
end

local function accept(id)
	local what = next_accept
	next_accept = nil
	if what == "raise" then
		error("accept boom before start")
	elseif what == "handover" then
		socket.abandon(id)
		local agent = skynet.newservice(SERVICE_NAME)
		skynet.call(agent, "lua", "agent", id)
		error("accept boom after the handover")
	end
	socket.start(id)
	echo_lines(id, "")
end

local ws_handle = {}

function ws_handle.message(id, msg, kind)
	if msg == "boom" then
		error("websocket boom")
	end
	websocket.write(id, msg, kind)
end

local CMD = {}

function CMD.listen()
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, accept)
	return port
end

function CMD.websocket()
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id, addr)
		ws_results[#ws_results + 1] = { websocket.accept(id, ws_handle, "ws", addr) }
	end)
	return port
end

-- what websocket.accept returned for each connection so far
function CMD.ws_results()
	return ws_results
end

function CMD.raise_next()
	next_accept = "raise"
end

function CMD.handover_next()
	next_accept = "handover"
end

function CMD.agent(id)
	skynet.fork(function()
		socket.start(id)
		echo_lines(id, "agent ")
	end)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(CMD[cmd](...)))
	end)
end)
