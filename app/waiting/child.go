package waiting

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The drill and the crash tests kill the replaying process: a child
// process whose output lines are read as they come.

// ChildProc is a process whose output lines arrive on a channel.
type ChildProc struct {
	cmd    *exec.Cmd
	lines  chan string // closed when the child's output ends
	stderr bytes.Buffer
}

// StartChild starts exe; onLine, when set, sees each line of its output
// first, on the reading goroutine.
func StartChild(ctx context.Context, exe string, args, env []string, onLine func(string)) (*ChildProc, error) {
	c := &ChildProc{cmd: exec.CommandContext(ctx, exe, args...), lines: make(chan string, 64)}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(exe), err)
	}
	lines := c.lines
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if onLine != nil {
				onLine(sc.Text())
			}
			lines <- sc.Text()
		}
	}()
	return c, nil
}

// KillAtRandom kills the child with SIGKILL at a random moment within
// window of its start or, half the time, of its first line of output (so
// that some kills land mid-work rather than mid-start-up). false means
// the child ended by itself first.
func (c *ChildProc) KillAtRandom(window time.Duration) bool {
	if rand.IntN(2) == 0 {
		if _, ok := <-c.lines; !ok {
			c.cmd.Wait()
			return false
		}
	}
	deadline := time.After(time.Duration(rand.Int64N(int64(window))))
wait:
	for {
		select {
		case _, ok := <-c.lines:
			if !ok {
				c.cmd.Wait()
				return false
			}
		case <-deadline:
			break wait
		}
	}
	c.cmd.Process.Kill() // SIGKILL: no chance to clean up
	for range c.lines {
	}
	c.cmd.Wait()
	return true
}

// Wait lets the child finish, draining its output.
func (c *ChildProc) Wait() error {
	for range c.lines {
	}
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(c.stderr.String()))
	}
	return nil
}
