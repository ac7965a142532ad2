-- skynet.socketchannel against a line server in this node: order mode,
-- session mode with out-of-order replies, auth on every connect,
-- reconnecting after the server drops the connection, errors raised to
-- waiting requests, and a failed connect.
local skynet = require "skynet"
local socket = require "skynet.socket"
local socketchannel = require "skynet.socketchannel"
local T = require "testlib"

local PORT -- the test server's, bound to a free one

local accepted = 0

-- Each line is "[session] command argument".  echo: reply "session arg";
-- slow: reply after arg centiseconds (replies overtake each other);
-- multi: arg lines "session partN" then "session end"; drop: close
-- without replying; auth: "ok" if arg is the secret.
local function serve_client(id)
	socket.start(id)
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		local session, cmd, arg = line:match("^(%S+) (%S+) ?(.*)$")
		if cmd == "drop" then
			break
		elseif cmd == "slow" then
			skynet.fork(function()
				skynet.sleep(tonumber(arg))
				socket.write(id, session .. " " .. arg .. "\n")
			end)
		elseif cmd == "multi" then
			for i = 1, tonumber(arg) do
				socket.write(id, session .. " part" .. i .. "\n")
			end
			socket.write(id, session .. " end\n")
		elseif cmd == "auth" then
			socket.write(id, session .. " " .. (arg == "secret" and "ok" or "denied") .. "\n")
		else
			socket.write(id, session .. " " .. arg .. "\n")
		end
	end
	socket.close(id)
end

local function read_reply(sock)
	local line = sock:readline()
	local _, arg = line:match("^(%S+) (.*)$")
	return true, arg
end

local function test_order_mode()
	local auths = 0
	local channel = socketchannel.channel {
		host = "127.0.0.1",
		port = PORT,
		nodelay = true,
		auth = function(self)
			auths = auths + 1
			T.eq(self:request("0 auth secret\n", read_reply), "ok", "auth reply")
		end,
	}
	T.ok(channel:connect(true), "connect")
	T.eq(auths, 1, "auth ran on connect")
	T.eq(channel:request("0 echo hello\n", read_reply), "hello", "order request")

	-- concurrent requests get their own replies, in order
	local results, done = {}, 0
	for i = 1, 20 do
		skynet.fork(function()
			results[i] = channel:request("0 echo r" .. i .. "\n", read_reply)
			done = done + 1
		end)
	end
	while done < 20 do
		skynet.sleep(1)
	end
	for i = 1, 20 do
		T.eq(results[i], "r" .. i, "concurrent order request " .. i)
	end

	-- a request in several pieces (padding), a response in several parts
	T.eq(channel:request("0 echo ", read_reply, { "in ", "pieces\n" }), "in pieces", "request with padding")
	local parts = channel:request("0 multi 3\n", function(sock)
		local _, arg = read_reply(sock)
		return true, arg, arg ~= "end"
	end)
	T.eq(table.concat(parts, ","), "part1,part2,part3,end", "multi-part response")

	-- the server drops the connection: the request fails, the next reconnects
	local ok, err = pcall(channel.request, channel, "0 drop x\n", read_reply)
	T.ok(not ok, "request on a dropped connection fails")
	T.eq(err, socketchannel.error, "it raises socketchannel.error")
	T.eq(channel:request("0 echo again\n", read_reply), "again", "reconnected")
	T.eq(auths, 2, "auth ran again on reconnect")
	channel:close()
	T.raises("closed", channel.request, channel, "0 echo x\n", read_reply)
end

local function test_session_mode()
	local channel = socketchannel.channel {
		host = "127.0.0.1",
		port = PORT,
		response = function(sock)
			local line = sock:readline()
			local session, arg = line:match("^(%S+) (.*)$")
			return tonumber(session), true, arg
		end,
	}
	channel:connect(true)
	local results, order, done = {}, {}, 0
	for i = 1, 5 do
		skynet.fork(function()
			-- the first request is answered last
			results[i] = channel:request(i .. " slow " .. (60 - i * 10) .. "\n", i)
			order[#order + 1] = i
			done = done + 1
		end)
	end
	while done < 5 do
		skynet.sleep(1)
	end
	for i = 1, 5 do
		T.eq(results[i], tostring(60 - i * 10), "session reply " .. i)
	end
	T.eq(order[1], 5, "replies overtook each other")
	T.eq(channel:request("9 echo direct\n", 9), "direct", "session request")

	-- every waiting request fails when the connection breaks
	local errors = 0
	for i = 1, 3 do
		skynet.fork(function()
			local ok = pcall(channel.request, channel, (20 + i) .. " slow 500\n", 20 + i)
			if not ok then
				errors = errors + 1
			end
		end)
	end
	skynet.sleep(5)
	pcall(channel.request, channel, "30 drop x\n", 30)
	for _ = 1, 100 do
		if errors == 3 then
			break
		end
		skynet.sleep(1)
	end
	T.eq(errors, 3, "waiting session requests fail on disconnect")
	channel:close()
end

local function test_connect_failure()
	local channel = socketchannel.channel { host = "127.0.0.1", port = T.free_port() }
	local ok, err = pcall(channel.connect, channel, true)
	T.ok(not ok, "connect to a closed port fails")
	T.eq(err, socketchannel.error, "with socketchannel.error")
end

T.run(function()
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	PORT = port
	socket.start(listen_id, function(id)
		accepted = accepted + 1
		skynet.fork(serve_client, id)
	end)
	test_order_mode()
	test_session_mode()
	test_connect_failure()
	T.eq(accepted, 3, "connections the server saw (two in order mode, one in session mode)")
	socket.close(listen_id)
end)
