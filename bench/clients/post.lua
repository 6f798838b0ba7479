-- wrk script of the post64k scenario: every request is a POST of BENCH_BODY_BYTES bytes.
wrk.method = "POST"
wrk.body = string.rep("p", tonumber(os.getenv("BENCH_BODY_BYTES")))
wrk.headers["Content-Type"] = "application/octet-stream"
