-- wrk script: POST /allocate with the seed's request (80 %, 4000 MB). Used by run.sh.
wrk.method = "POST"
wrk.body = '{"cores":80,"memory":4000}'
wrk.headers["Content-Type"] = "application/json"
