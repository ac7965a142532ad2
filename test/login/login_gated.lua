-- the message gate of the fixture: one login_msgagent per user
local msgserver = require "snax.msgserver"
local skynet = require "skynet"

local logind = tonumber(...)
local servername
local users = {}    -- uid -> { username, agent, uid, subid }
local by_name = {}  -- username -> the same
local last_subid = 0

local conf = {}

function conf.login_handler(uid, secret)
	assert(users[uid] == nil, uid .. " is already login")
	last_subid = last_subid + 1
	local subid = last_subid
	local username = msgserver.username(uid, subid, servername)
	local agent = skynet.newservice "login_msgagent"
	skynet.call(agent, "lua", "login", uid, subid, secret)
	local u = { username = username, agent = agent, uid = uid, subid = subid }
	users[uid] = u
	by_name[username] = u
	msgserver.login(username, secret)
	return subid
end

function conf.logout_handler(uid, subid)
	local u = users[uid]
	if u == nil then
		return
	end
	assert(u.username == msgserver.username(uid, subid, servername))
	msgserver.logout(u.username)
	users[uid] = nil
	by_name[u.username] = nil
	skynet.call(logind, "lua", "logout", uid, subid)
end

function conf.kick_handler(uid, subid)
	local u = users[uid]
	if u then
		assert(u.username == msgserver.username(uid, subid, servername))
		pcall(skynet.call, u.agent, "lua", "logout") -- the agent exits on the way
	end
end

function conf.disconnect_handler(username)
	local u = by_name[username]
	if u then
		skynet.call(u.agent, "lua", "afk")
	end
end

function conf.request_handler(username, msg)
	local u = by_name[username]
	return skynet.tostring(skynet.rawcall(u.agent, "client", msg))
end

function conf.register_handler(name)
	servername = name
	skynet.call(logind, "lua", "register_gate", name, skynet.self())
end

msgserver.start(conf)
