-- make bench: POST /alexa with pre-signed requests, one per line of the file given
-- after "--": "<Signature-256>\t<body>". Each request is sent once, in order (wrapping
-- round if the run outlasts the file).
local requests = {}
local index = 0

function init(args)
  local url = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    requests[#requests + 1] = wrk.format("POST", "/alexa", {
      ["Content-Type"] = "application/json",
      ["SignatureCertChainUrl"] = url,
      ["Signature-256"] = line:sub(1, tab - 1),
    }, line:sub(tab + 1))
  end
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end
