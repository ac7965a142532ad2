-- a snax service whose init raises (test_snax)
function response.never()
end

function init()
	error "init refuses"
end
