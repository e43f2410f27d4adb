// boost_peer.cpp - Boost.Interprocess message_queue measured the way
// pipc-bench measures everything: two processes, every message checked,
// time from the first message.
//
//   pipc-bench-boost tput SIZE N  -> prints messages per second
//   pipc-bench-boost rt N         -> prints median and p99 round trip, us
//
// The second process is a fork() of this one (no threads exist yet), so
// both ends run the same code; the queues hold as many messages as pipc's
// Queue does in the same run (256 small ones, about 8 MiB of large ones).
#include <boost/interprocess/ipc/message_queue.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bip = boost::interprocess;

static double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

static std::size_t slots_for(std::size_t size) {
  std::size_t n = (8u << 20) / (size ? size : 1);
  return n > 256 ? 256 : n < 4 ? 4 : n;
}

static std::string qname(const char *tag) {
  return "pipc-bench-boost-" + std::to_string(getpid()) + "-" + tag;
}

static int wait_child(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static int throughput(std::size_t size, long n) {
  std::string name = qname("t");
  bip::message_queue::remove(name.c_str());
  bip::message_queue q(bip::create_only, name.c_str(), slots_for(size), size);
  pid_t pid = fork();
  if (pid == 0) { // producer
    std::vector<unsigned char> buf(size);
    for (long i = 0; i < n; i++) {
      std::uint64_t seq = (std::uint64_t)i;
      if (size > 8) buf[size - 1] = (unsigned char)i;
      std::memcpy(buf.data(), &seq, 8);
      q.send(buf.data(), size, 0);
    }
    _exit(0);
  }
  std::vector<unsigned char> buf(size);
  double t0 = 0;
  for (long i = 0; i < n; i++) {
    bip::message_queue::size_type len = 0;
    unsigned prio = 0;
    std::uint64_t seq;
    q.receive(buf.data(), size, len, prio);
    if (i == 0) t0 = now_s();
    std::memcpy(&seq, buf.data(), 8);
    if (len != size || seq != (std::uint64_t)i ||
        (size > 8 && buf[size - 1] != (unsigned char)i)) {
      std::fprintf(stderr, "boost_peer: message %ld damaged\n", i);
      return 2;
    }
  }
  double dt = now_s() - t0;
  int rc = wait_child(pid);
  bip::message_queue::remove(name.c_str());
  if (rc != 0) return 2;
  std::printf("%.0f\n", (double)(n - 1) / dt);
  return 0;
}

static int round_trip(long n) {
  std::string to_name = qname("to"), back_name = qname("back");
  long warm = n / 10;
  bip::message_queue::remove(to_name.c_str());
  bip::message_queue::remove(back_name.c_str());
  bip::message_queue to(bip::create_only, to_name.c_str(), 256, 8);
  bip::message_queue back(bip::create_only, back_name.c_str(), 256, 8);
  pid_t pid = fork();
  if (pid == 0) { // echo
    for (long i = 0; i < n + warm; i++) {
      unsigned char b[8];
      bip::message_queue::size_type len = 0;
      unsigned prio = 0;
      to.receive(b, sizeof b, len, prio);
      back.send(b, len, 0);
    }
    _exit(0);
  }
  std::vector<double> rt;
  rt.reserve((std::size_t)n);
  for (long i = 0; i < n + warm; i++) {
    unsigned char b[8];
    bip::message_queue::size_type len = 0;
    unsigned prio = 0;
    std::uint64_t got;
    double t0 = now_s();
    std::memcpy(b, &i, 8);
    to.send(b, 8, 0);
    back.receive(b, sizeof b, len, prio);
    std::memcpy(&got, b, 8);
    if (len != 8 || got != (std::uint64_t)i) return 2;
    if (i >= warm) rt.push_back((now_s() - t0) * 1e6);
  }
  int rc = wait_child(pid);
  bip::message_queue::remove(to_name.c_str());
  bip::message_queue::remove(back_name.c_str());
  if (rc != 0) return 2;
  std::sort(rt.begin(), rt.end());
  std::printf("%.3f %.3f\n", rt[rt.size() / 2], rt[(std::size_t)((double)rt.size() * 0.99)]);
  return 0;
}

int main(int argc, char **argv) {
  try {
    if (argc == 4 && std::strcmp(argv[1], "tput") == 0)
      return throughput(std::strtoul(argv[2], nullptr, 10), std::atol(argv[3]));
    if (argc == 3 && std::strcmp(argv[1], "rt") == 0) return round_trip(std::atol(argv[2]));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "boost_peer: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: pipc-bench-boost tput SIZE N | rt N\n");
  return 2;
}
