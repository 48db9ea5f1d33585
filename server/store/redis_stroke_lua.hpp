// The Lua that applies one room's stroke changes to its Redis list, shared by the plain and the
// fenced room writes: drops the rows whose seq is above `keep` (StreamChanges::
// keep_rows_through; "" keeps all, 0 drops all), then appends args[first..] ("<seq> <data>").
#pragma once

namespace roomctl::store {

inline constexpr const char* kStrokesLua = R"(
local function write_strokes(key, keep_arg, args, first)
  local keep = tonumber(keep_arg)
  if keep == 0 then
    redis.call('DEL', key)
  elseif keep then
    while true do
      local last = redis.call('LINDEX', key, -1)
      if not last then break end
      local sp = string.find(last, ' ', 1, true)
      if not sp or tonumber(string.sub(last, 1, sp - 1)) <= keep then break end
      redis.call('RPOP', key)
    end
  end
  for i = first, #args, 1000 do
    redis.call('RPUSH', key, unpack(args, i, math.min(i + 999, #args)))
  end
end
)";

}  // namespace roomctl::store
