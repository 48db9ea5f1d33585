// MetricsServer: synchronous accept loop on a thread; one request per connection.
#include "loadgen/metrics_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "server/config/serve_options.hpp"

namespace roomctl::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct MetricsServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::function<std::string()> render;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      try {
        beast::flat_buffer buf;
        http::request<http::string_body> req;
        http::read(socket, buf, req);
        http::response<http::string_body> res{http::status::ok, req.version()};
        if (req.target() == "/metrics") {
          res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
          res.body() = render();
        } else {
          res.result(http::status::not_found);
          res.body() = "not found\n";
        }
        res.keep_alive(false);
        res.prepare_payload();
        http::write(socket, res);
      } catch (const std::exception&) {
      }
      accept();
    });
  }
};

MetricsServer::MetricsServer(const std::string& listen, std::function<std::string()> render)
    : impl_(std::make_unique<Impl>()) {
  impl_->render = std::move(render);
  auto ep = config::parse_endpoint(listen);
  tcp::endpoint at(asio::ip::make_address(ep.host), ep.port);
  beast::error_code ec;
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(at, ec);
  if (ec) throw std::runtime_error("metrics.listen " + listen + ": " + ec.message());
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

MetricsServer::~MetricsServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string MetricsServer::address() const {
  auto ep = impl_->acceptor.local_endpoint();
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace roomctl::loadgen
