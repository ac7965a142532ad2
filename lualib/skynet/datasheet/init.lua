-- skynet.datasheet: query(name) gives the read-only table of a sheet made by
-- skynet.datasheet.builder.  The data is held once per node, in C; the
-- table reads it without copying it into this service.  It follows updates:
-- once a new version arrives, reads show it, and this service lets the old
-- one go at once, so an old version is freed as soon as no reader holds it.
-- A nested table held across an update shows the table at the same keys in
-- the new version (an error if there is none).  An unknown name raises
-- "datasheet: no data named NAME".
local reader = require "skynet.sharedata.reader"
local server = require "skynet.datasheet.server"

local r = reader.new(server.address, true)

return {
	query = r.query,
}
