package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine is what the numbers depend on.
type machine struct {
	Cores     int     `json:"cores"`
	CPU       string  `json:"cpu"`
	MemoryGiB float64 `json:"memory_gib"`
	Kernel    string  `json:"kernel"`
	GoVersion string  `json:"go"`
	Wrk       string  `json:"wrk"`
	Node      string  `json:"node,omitempty"`
}

func describeMachine(withNode bool) machine {
	m := machine{
		Cores:     runtime.NumCPU(), // what nproc prints: the CPUs this process may use
		CPU:       procField("/proc/cpuinfo", "model name"),
		GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	if kib, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		m.MemoryGiB = kib / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	// wrk -v prints its version and exits 1 with usage.
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	m.Wrk, _, _ = strings.Cut(string(out), " Copyright")
	if withNode {
		if out, err := exec.Command("node", "--version").Output(); err == nil {
			m.Node = strings.TrimSpace(string(out))
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
