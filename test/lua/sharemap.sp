# the schema of test_sharemap (skynet's test/sharemap.sp, and a record with more types)
.foobar {
	x 0 : integer
	y 1 : integer
	s 2 : string
}

.stats {
	tick 0 : integer
	neg 1 : integer
	label 2 : string
	ratio 3 : double
	alive 4 : boolean
	list 5 : *integer
	blob 6 : binary
}
