# A game's asset loader in Godot 3 (headless `godot3-server -s loader.gd`), as
# test/interop/godot.test.ts drives it: for each case of the JSON file named by $CASES it
# makes the requests a game makes at run time, with Godot's own HTTPRequest node and
# HTTPClient class, and prints one line `RESULT <json>` of what Godot saw. The test judges.
#
# A case is {name, kind, ...}:
#   request  url, [method GET|PUT], [headers], [data], [gunzipSize]: one HTTPRequest.
#            With gunzipSize, the body is inflated when Content-Encoding (looked up as a
#            game does, in a case-sensitive dictionary) says gzip.
#   download url, file: HTTPRequest with download_file on a thread.
#   client   host, port, requests [{path, headers}]: one HTTPClient connection (keep-alive)
#            for all of them.
extends SceneTree

func _init():
	call_deferred("_run")

func md5_of(bytes):
	var ctx = HashingContext.new()
	ctx.start(HashingContext.HASH_MD5)
	if bytes.size() > 0:
		ctx.update(bytes)
	return ctx.finish().hex_encode()

# "Name: value" lines to a dictionary, names as the server sent them.
func header_dict(lines):
	var out = {}
	for h in lines:
		var i = h.find(":")
		if i > 0:
			out[h.substr(0, i).strip_edges()] = h.substr(i + 1, h.length()).strip_edges()
	return out

func text_of(bytes):
	return bytes.get_string_from_utf8() if bytes.size() <= 4096 else ""

func client_request(hc, q):
	var err = hc.request(HTTPClient.METHOD_GET, q["path"], PoolStringArray(q.get("headers", [])))
	if err != OK:
		return {"error": err}
	while hc.get_status() == HTTPClient.STATUS_REQUESTING:
		hc.poll()
		OS.delay_usec(200)
	if not hc.has_response():
		return {"error": "no response", "status": hc.get_status()}
	var out = {"code": hc.get_response_code(), "headers": hc.get_response_headers_as_dictionary()}
	var body = PoolByteArray()
	while hc.get_status() == HTTPClient.STATUS_BODY:
		hc.poll()
		var chunk = hc.read_response_body_chunk()
		if chunk.size() == 0:
			OS.delay_usec(200)
		else:
			body.append_array(chunk)
	out["size"] = body.size()
	out["md5"] = md5_of(body)
	out["connected"] = hc.get_status() == HTTPClient.STATUS_CONNECTED
	return out

func _run():
	var f = File.new()
	if f.open(OS.get_environment("CASES"), File.READ) != OK:
		print("RESULT {\"error\":\"cannot read $CASES\"}")
		quit(2)
		return
	var cases = JSON.parse(f.get_as_text()).result
	f.close()
	for c in cases:
		var out = {"name": c["name"]}
		if c["kind"] == "client":
			var hc = HTTPClient.new()
			hc.connect_to_host(c["host"], int(c["port"]))
			while hc.get_status() == HTTPClient.STATUS_CONNECTING or hc.get_status() == HTTPClient.STATUS_RESOLVING:
				hc.poll()
				OS.delay_msec(1)
			var answers = []
			for q in c["requests"]:
				answers.append(client_request(hc, q))
			out["answers"] = answers
			hc.close()
		else:
			var req = HTTPRequest.new()
			if c["kind"] == "download":
				req.use_threads = true
				req.download_file = c["file"]
			root.add_child(req)
			var method = HTTPClient.METHOD_PUT if c.get("method", "GET") == "PUT" else HTTPClient.METHOD_GET
			var err = req.request(c["url"], PoolStringArray(c.get("headers", [])), true, method, c.get("data", ""))
			if err != OK:
				out["error"] = err
			else:
				var r = yield(req, "request_completed")
				out["result"] = r[0]
				out["code"] = r[1]
				out["headers"] = header_dict(r[2])
				out["size"] = r[3].size()
				out["md5"] = md5_of(r[3])
				out["text"] = text_of(r[3])
				if c["kind"] == "download":
					out["fileMd5"] = File.new().get_md5(c["file"])
				if c.has("gunzipSize") and out["headers"].get("Content-Encoding") == "gzip":
					out["plainMd5"] = md5_of(r[3].decompress(int(c["gunzipSize"]), File.COMPRESSION_GZIP))
			req.queue_free()
		print("RESULT " + to_json(out))
	quit(0)
