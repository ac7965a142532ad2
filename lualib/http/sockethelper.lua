-- http.sockethelper: the socket side of the http libraries.  Readers and
-- writers over a skynet.socket id that raise sockethelper.socket_error
-- when the connection is gone, so a request handler can tell a vanished
-- peer (err == socket_error) from a real failure.
local skynet = require "skynet"
local socket = require "skynet.socket"

local sockethelper = {}

-- One shared error value: callers compare against it by identity.  Calling
-- it records what failed; tostring tells (once) what that was.
local socket_error = setmetatable({}, {
	__call = function(self, info)
		self.info = "[Socket Error] : " .. tostring(info)
		return self
	end,
	__tostring = function(self)
		local info = self.info or "[Socket Error]"
		self.info = nil
		return info
	end,
})
sockethelper.socket_error = socket_error

local function read_or_fail(fd, sz)
	local data = socket.read(fd, sz)
	if not data then
		error(socket_error("read failed fd = " .. fd))
	end
	return data
end

-- readfunc(fd [, pre]): read(sz) returns sz bytes, read() what is there;
-- pre holds bytes already taken from the socket, handed out first
function sockethelper.readfunc(fd, pre)
	if pre == nil or pre == "" then
		return function(sz)
			return read_or_fail(fd, sz)
		end
	end
	return function(sz)
		if pre == nil then
			return read_or_fail(fd, sz)
		end
		local have = pre
		if sz == nil or sz == #have then
			pre = nil
			return have
		elseif sz < #have then
			pre = have:sub(sz + 1)
			return have:sub(1, sz)
		end
		pre = nil
		return have .. read_or_fail(fd, sz - #have)
	end
end

sockethelper.readall = socket.readall

function sockethelper.writefunc(fd)
	return function(content)
		if not socket.write(fd, content) then
			error(socket_error("write failed fd = " .. fd))
		end
	end
end

-- connect(host, port [, timeout]): a connected socket id; timeout is in
-- 1/100 s.  A connection that completes after the timeout is closed.
function sockethelper.connect(host, port, timeout)
	local fd, err
	if timeout then
		local waiter = coroutine.running()
		local given_up = false
		skynet.fork(function()
			fd, err = socket.open(host, port)
			if given_up then
				if fd then
					socket.close(fd)
				end
			else
				skynet.wakeup(waiter)
			end
		end)
		skynet.sleep(timeout)
		if not fd and not err then
			given_up = true
			err = "timeout"
		end
	else
		fd, err = socket.open(host, port)
	end
	if fd then
		return fd
	end
	error(socket_error(string.format("connect failed host = %s port = %s timeout = %s err = %s",
		host, port, tostring(timeout), tostring(err))))
end

function sockethelper.close(fd)
	socket.close(fd)
end

function sockethelper.shutdown(fd)
	socket.shutdown(fd)
end

return sockethelper
