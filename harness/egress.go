package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// egressProxy is the only way from an external agent's sandbox to the
// network: an HTTP proxy (CONNECT for https, absolute URLs for http) on a
// Unix socket that the sandbox forwards to, letting through the host:port
// pairs of agent.external.allow and refusing everything else with 403.
type egressProxy struct {
	srv   *http.Server
	allow map[string]bool
	log   io.Writer
	item  int

	// local maps addresses the agent may name for the validation server
	// (localhost:5000 through the proxy) to its Unix socket.
	local     map[string]string
	transport *http.Transport

	mu      sync.Mutex
	denied  int
	tunnels map[net.Conn]bool // open CONNECT streams, both ends
}

// maxDeniedLogged bounds the log lines of refused requests.
const maxDeniedLogged = 20

// startEgress serves the proxy on the Unix socket sock. allow holds
// host:port pairs (configs.AllowedHostPort); local maps more host:port
// pairs to Unix sockets of ours (the validation server).
func startEgress(sock string, allow []string, local map[string]string, item int, log io.Writer) (*egressProxy, error) {
	p := &egressProxy{allow: map[string]bool{}, local: local, log: log, item: item, tunnels: map[net.Conn]bool{}}
	for _, a := range allow {
		p.allow[a] = true
	}
	for a := range local {
		p.allow[a] = true
	}
	// Never a proxy itself, no redirects followed.
	p.transport = &http.Transport{Proxy: nil, DialContext: p.dial, ResponseHeaderTimeout: 10 * time.Minute}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("egress proxy: %w", err)
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// hostPort is the destination of a proxied request, with the scheme's
// default port.
func hostPort(r *http.Request) string {
	host := r.Host
	if r.Method != http.MethodConnect && r.URL.Host != "" {
		host = r.URL.Host
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		port := "80"
		if r.URL.Scheme == "https" || r.Method == http.MethodConnect {
			port = "443"
		}
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return strings.ToLower(host)
}

func (p *egressProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dest := hostPort(r)
	if !p.allow[dest] || (r.Method != http.MethodConnect && !r.URL.IsAbs()) {
		p.mu.Lock()
		p.denied++
		n := p.denied
		p.mu.Unlock()
		if n <= maxDeniedLogged {
			fmt.Fprintf(p.log, "item %d: egress refused: %s %s (not in agent.external.allow)\n", p.item, r.Method, dest)
		}
		http.Error(w, "mlbench: "+dest+" is not in agent.external.allow", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r, dest)
		return
	}
	p.forward(w, r)
}

// tunnel answers CONNECT: a raw TCP stream to dest (TLS stays end to end).
func (p *egressProxy) tunnel(w http.ResponseWriter, r *http.Request, dest string) {
	up, err := p.dial(r.Context(), "tcp", dest)
	if err != nil {
		http.Error(w, "mlbench: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "mlbench: cannot tunnel", http.StatusInternalServerError)
		return
	}
	c, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		c.Close()
		up.Close()
		return
	}
	if n := buf.Reader.Buffered(); n > 0 {
		pending, _ := buf.Reader.Peek(n)
		_, _ = up.Write(pending)
	}
	p.mu.Lock()
	p.tunnels[c], p.tunnels[up] = true, true
	p.mu.Unlock()
	go func() {
		defer func() {
			c.Close()
			up.Close()
			p.mu.Lock()
			delete(p.tunnels, c)
			delete(p.tunnels, up)
			p.mu.Unlock()
		}()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = io.Copy(up, c); closeWrite(up) }()
		go func() { defer wg.Done(); _, _ = io.Copy(c, up); closeWrite(c) }()
		wg.Wait()
	}()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// dial connects to an allowed destination: our own sockets for local
// addresses, else TCP.
func (p *egressProxy) dial(ctx context.Context, _, dest string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second}
	if sock, ok := p.local[dest]; ok {
		return d.DialContext(ctx, "unix", sock)
	}
	return d.DialContext(ctx, "tcp", dest)
}

// hopHeaders are connection-scoped and never forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forward proxies a plain-http request with an absolute URL.
func (p *egressProxy) forward(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		http.Error(w, "mlbench: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// Denied counts the refused requests.
func (p *egressProxy) Denied() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.denied
}

// Close stops the proxy, cutting open tunnels.
func (p *egressProxy) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	p.mu.Lock()
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	return errors.Join(err, p.srv.Close())
}
