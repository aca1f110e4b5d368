package sandbox

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

// ForwarderArg is the first argument that makes an mlbench binary the
// forwarder of a sandbox instead of the CLI (see Forward).
const ForwarderArg = "__mlbench-forward"

// maxForwardConns bounds the connections one listener copies at once;
// further ones wait in the kernel's backlog.
const maxForwardConns = 64

// IsForwarder reports whether args (os.Args) start the forwarder. A main
// package that runs sandboxes with Forwards checks it first:
//
//	if sandbox.IsForwarder(os.Args) { os.Exit(sandbox.ForwarderMain(os.Args[2:])) }
func IsForwarder(args []string) bool { return len(args) > 1 && args[1] == ForwarderArg }

// ForwarderMain runs the forwarder: args are LISTEN=SOCKET pairs, "--",
// then the command. It listens on every address before starting the
// command (so the command finds them ready), copies each connection to its
// Unix socket, passes its own stdio and environment to the command and
// exits with the command's status (128+n when signal n killed it). It
// never dies of SIGTERM itself: the sandbox signals every process, and the
// command must have its grace period to write a last submission.
func ForwarderMain(args []string) int {
	sep := -1
	for i, a := range args {
		if a == "--" {
			sep = i
			break
		}
	}
	if sep < 0 || sep == len(args)-1 {
		fmt.Fprintln(os.Stderr, "mlbench forwarder: usage: LISTEN=SOCKET... -- COMMAND [ARG...]")
		return 125
	}
	for _, pair := range args[:sep] {
		addr, sock, ok := strings.Cut(pair, "=")
		if !ok || addr == "" || sock == "" {
			fmt.Fprintf(os.Stderr, "mlbench forwarder: %q is not LISTEN=SOCKET\n", pair)
			return 125
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil && strings.HasPrefix(addr, "[") {
			continue // an IPv6 address on a host without IPv6
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mlbench forwarder: %v\n", err)
			return 125
		}
		go serveForward(ln, sock)
	}
	sigs := make(chan os.Signal, 4)
	// Caught (not ignored) signals reset to the default in the command.
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	cmd := exec.Command(args[sep+1], args[sep+2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "mlbench forwarder: start %s: %v\n", args[sep+1], err)
		if errors.Is(err, os.ErrPermission) {
			return 126
		}
		return 127
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return 125
	}
	return 0
}

// serveForward copies every connection of ln to the Unix socket sock.
func serveForward(ln net.Listener, sock string) {
	slots := make(chan struct{}, maxForwardConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		slots <- struct{}{}
		go func() {
			defer func() { <-slots }()
			defer c.Close()
			u, err := net.Dial("unix", sock)
			if err != nil {
				return
			}
			defer u.Close()
			splice(c, u)
		}()
	}
}

// splice copies both ways until both directions are done, passing on
// half-closes so request/response protocols see EOF.
func splice(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
	}
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
}
