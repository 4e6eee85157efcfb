// Command apicheck is the client side of the API-server harness: it writes the
// certificates and token the local kube-apiserver runs with, waits for the server to be
// ready, and sends manifests to it (real create for cluster prerequisites, server-side
// dry-run for everything else), printing one line per object and a closing summary line
// `apiserver: N passed, M failed`.
//
// Subcommands:
//
//	apicheck pki DIR                 write ca.crt, apiserver.crt/key, sa.key/pub, tokens.csv, token
//	apicheck ports N                 print N free TCP ports on 127.0.0.1, one per line
//	apicheck wait [flags]            wait until /readyz answers ok
//	apicheck check [flags] PATH...   self-test, then check every object in PATH (files or dirs)
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "pki":
		if len(os.Args) != 3 {
			usage()
		}
		err = writePKI(os.Args[2])
	case "ports":
		if len(os.Args) != 3 {
			usage()
		}
		err = printPorts(os.Args[2])
	case "wait":
		err = runWait(os.Args[2:])
	case "check":
		var code int
		code, err = runCheck(os.Args[2:])
		if err == nil {
			os.Exit(code)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "apicheck %s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: apicheck pki DIR | ports N | wait [flags] | check [flags] PATH...")
	os.Exit(2)
}

// printPorts asks the kernel for n distinct free ports on the loopback address. All
// listeners stay open until every port is known, so the ports are distinct.
func printPorts(arg string) error {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > 16 {
		return fmt.Errorf("port count %q: want 1..16", arg)
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	for _, l := range ls {
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// serverFlags are the connection flags shared by `wait` and `check`.
type serverFlags struct {
	server    string
	caFile    string
	tokenFile string
}

func (s *serverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.server, "server", "", "API server URL, https://127.0.0.1:PORT")
	fs.StringVar(&s.caFile, "ca", "", "CA certificate that signed the serving certificate")
	fs.StringVar(&s.tokenFile, "token-file", "", "file holding the bearer token")
}

func (s *serverFlags) validate() error {
	if s.server == "" || s.caFile == "" || s.tokenFile == "" {
		return fmt.Errorf("-server, -ca and -token-file are required")
	}
	return nil
}
