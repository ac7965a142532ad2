-- A reader of skynet.sharedata for test_sharedata: "watch" reads the table
-- NAME over and over (each full read without yielding, then a yield) until
-- told to "stop"; every value of a version is that version's number, so a
-- read that mixes versions is caught.  "hold"/"read_held"/"drop" keep one
-- table across updates.
local sharedata = require "skynet.sharedata"
local R = require "reader_lib"

local CMD = {}

R.watch_commands(CMD, R.versioned_table(sharedata.query))
R.hold_commands(CMD, sharedata.query)
R.serve(CMD)
