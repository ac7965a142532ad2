-- What the last package searcher (snlua's) says: when a module that skynet
-- ships is not found here, the "module not found" error says so by name
-- instead of leaving the user to guess.  Modules this framework has
-- are found by the searchers before this one, so the list is simply every
-- module skynet provides.
local SKYNET_MODULES = {}
for name in ([[
	skynet skynet.core skynet.manager skynet.coroutine skynet.queue skynet.debug
	skynet.inject skynet.injectcode skynet.remotedebug skynet.require skynet.socket
	skynet.socketchannel skynet.socketdriver skynet.netpack skynet.memory skynet.crypt
	skynet.cluster skynet.cluster.core skynet.harbor skynet.datacenter skynet.sharedata
	skynet.sharedata.corelib skynet.sharedata.core skynet.sharetable skynet.sharetable.core
	skynet.sharemap skynet.datasheet skynet.datasheet.builder skynet.datasheet.dump
	skynet.datasheet.core skynet.stm skynet.multicast skynet.multicast.core skynet.mqueue
	skynet.service skynet.snax skynet.profile skynet.dns skynet.debugchannel
	skynet.db.redis skynet.db.redis.cluster skynet.db.redis.crc16 skynet.db.mysql
	skynet.db.mongo skynet.db.mongo.transaction skynet.mongo.driver bson
	snax.gateserver snax.hotfix snax.interface snax.loginserver snax.msgserver
	http.httpc http.httpd http.internal http.sockethelper http.tlshelper http.url
	http.websocket ltls.c ltls.init.c sproto sproto.core sprotoloader sprotoparser
	md5 client.crypt client.socket lpeg
	compat10.mongo
]]):gmatch "%S+" do
	SKYNET_MODULES[name] = true
end

return function(name)
	if SKYNET_MODULES[name] then
		return string.format("\n\t'%s' is a skynet module this framework does not provide yet"
			.. " (README: Differences from skynet)", name)
	end
	return nil
end
