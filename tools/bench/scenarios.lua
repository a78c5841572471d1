-- The benchmark's requests, for wrk: `wrk -s scenarios.lua URL -- <scenario> <fixture dir> <run tag>`.
-- Each thread walks the fixture files (tokens.txt, slugs.txt, tags.txt, emails.txt: one value a
-- line) from its own offset, so signed-in scenarios rotate over every user's token and reads
-- over every article; writes carry a title or body no other request of the run has (thread id,
-- counter and the run tag). done() prints one JSON line that tools/bench reads.

local counter = 0
local scenario, values, tag = nil, {}, ""
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function lines(path)
  local list = {}
  for line in io.lines(path) do list[#list + 1] = line end
  return list
end

local function pick(list, n) return list[n % #list + 1] end

local function json_headers(token)
  local headers = {["Content-Type"] = "application/json"}
  if token then headers["Authorization"] = "Token " .. token end
  return headers
end

local function get(path, token)
  return wrk.format("GET", path, token and json_headers(token) or {})
end

local function post(path, token, body)
  return wrk.format("POST", path, json_headers(token), body)
end

local scenarios = {
  ["GetArticles (anonymous)"] = function(n) return get("/api/articles") end,
  ["GetArticles (signed in)"] = function(n) return get("/api/articles", pick(values.tokens, n)) end,
  ["GetArticles (by tag)"] = function(n) return get("/api/articles?tag=" .. pick(values.tags, n)) end,
  ["GetArticle (signed in)"] = function(n)
    return get("/api/articles/" .. pick(values.slugs, n * 7), pick(values.tokens, n))
  end,
  ["GetArticlesFeed"] = function(n) return get("/api/articles/feed", pick(values.tokens, n)) end,
  ["GetTags"] = function(n) return get("/api/tags") end,
  ["CreateArticle"] = function(n)
    local unique = tag .. " " .. id .. " " .. n
    return post("/api/articles", pick(values.tokens, n), string.format(
      '{"article": {"title": "Benchmark article %s", "description": "Written by wrk.", '
      .. '"body": "Body of benchmark article %s.", "tagList": ["%s", "%s"]}}',
      unique, unique, pick(values.tags, n), pick(values.tags, n * 3 + 1)))
  end,
  ["CreateArticleComment"] = function(n)
    return post("/api/articles/" .. pick(values.slugs, n * 7) .. "/comments", pick(values.tokens, n),
      string.format('{"comment": {"body": "Comment %s %d %d from wrk."}}', tag, id, n))
  end,
  -- Token i with article (n / users): every request is a new (user, article) pair for a while.
  ["CreateArticleFavorite"] = function(n)
    local slug = pick(values.slugs, math.floor(n / #values.tokens) * 7 + id * 101)
    return post("/api/articles/" .. slug .. "/favorite", pick(values.tokens, n))
  end,
  ["Login"] = function(n)
    return post("/api/users/login", nil, string.format(
      '{"user": {"email": "%s", "password": "benchmark-password"}}', pick(values.emails, n)))
  end,
}

function init(args)
  scenario = scenarios[args[1]]
  if not scenario then error("unknown scenario " .. tostring(args[1])) end
  for _, name in ipairs({"tokens", "slugs", "tags", "emails"}) do
    values[name] = lines(args[2] .. "/" .. name .. ".txt")
  end
  tag = args[3] or ""
  counter = id * 7919
end

function request()
  counter = counter + 1
  return scenario(counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,
    e.status, latency:percentile(50), latency:percentile(99)))
end
