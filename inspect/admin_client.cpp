// AdminClient over a short-lived Beast HTTP connection with a 5 s timeout.
#include "inspect/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace roomctl::inspect {

namespace beast = boost::beast;
namespace http = beast::http;

AdminClient::AdminClient(const std::string& server, std::string token) : token_(std::move(token)) {
  std::string s = server;
  if (s.rfind("http://", 0) == 0) s = s.substr(7);
  if (auto slash = s.find('/'); slash != std::string::npos) s = s.substr(0, slash);
  auto colon = s.rfind(':');
  host_ = colon == std::string::npos ? s : s.substr(0, colon);
  port_ = colon == std::string::npos ? "9100" : s.substr(colon + 1);
}

HttpResult AdminClient::request(const std::string& method, const std::string& target) const {
  HttpResult r;
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(5));
    bool done = false;
    beast::error_code ec;
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "roomctl-inspect");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    req.prepare_payload();
    auto results = resolver.resolve(host_, port_);
    stream.async_connect(results, [&](beast::error_code e, auto) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
        if (e2) {
          ec = e2;
          done = true;
          return;
        }
        http::async_read(stream, buf, res, [&](beast::error_code e3, std::size_t) {
          ec = e3;
          done = true;
        });
      });
    });
    ioc.run();
    if (!done || ec) {
      r.error = ec ? ec.message() : "no answer";
      return r;
    }
    r.status = res.result_int();
    r.body = res.body();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

}  // namespace roomctl::inspect
