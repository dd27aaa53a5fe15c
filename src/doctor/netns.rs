//! Connections made from inside a container's network namespace, as the container
//! itself would make them: no tool has to exist in its image, and the packets cross the
//! same bridges, routes and firewall chains as the application's.
//!
//! `setns` moves only the calling thread, so each connection runs on a thread of its
//! own that ends with it: no pooled thread is ever left in a container's namespace.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::time::Duration;

/// Runs `work` on a new thread inside the network namespace of process `pid`.
pub async fn run_in<T, F>(pid: u32, work: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("netns-{pid}"))
        .spawn(move || {
            let result = enter(pid).and_then(|()| work());
            let _ = tx.send(result);
        })?;
    rx.await
        .map_err(|_| io::Error::other("the connection thread ended without an answer"))?
}

fn enter(pid: u32) -> io::Result<()> {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))?;
    rustix::thread::move_into_link_name_space(
        ns.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )?;
    Ok(())
}

/// Opens a TCP connection to `addr` within `timeout`.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// `GET path` over a fresh connection to `addr`; the response's status code. The
/// whole exchange, connection included, must fit in `timeout`.
pub fn http_status(addr: SocketAddr, host: &str, path: &str, timeout: Duration) -> io::Result<u16> {
    let deadline = std::time::Instant::now() + timeout;
    let mut stream = connect(addr, timeout)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: docker-safeops-doctor\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all we read: a probe never downloads a body.
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no status line in time",
            ));
        }
        stream.set_read_timeout(Some(left))?;
        let n = stream.read(&mut head[len..])?;
        if n == 0 || head[..len + n].contains(&b'\n') {
            len += n;
            break;
        }
        len += n;
    }
    let line = String::from_utf8_lossy(&head[..len]);
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|c| c.parse().ok())) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the answer is not HTTP",
        )),
    }
}

/// What a failed connection means, for people: refused (nothing listens, or a
/// firewall rejects with a reset), no route (a firewall rejects with ICMP, as
/// firewalld's leftover chains do), or silence (a firewall drops).
pub fn explain(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused: nothing listens on that port".into()
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            "no answer before the timeout: packets are dropped on the way (a firewall?)".into()
        }
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => format!(
            "{err}: rejected on the way, typically by a host firewall chain (see the firewall check)"
        ),
        io::ErrorKind::PermissionDenied => {
            format!("{err}: entering the container's network namespace needs root")
        }
        _ => err.to_string(),
    }
}
