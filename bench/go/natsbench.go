// NATS JetStream load client of `make bench`, built in GOPATH mode against Debian's
// golang-github-nats-io-go-nats-dev (no module download).
//
//	natsbench setup                       create the file-storage stream BENCH (alerts.>), duplicate window 2m
//	natsbench pub --frames F --subject S [--window 1000] [--rate N] [--samples FILE]
//	    async publish with a unique Nats-Msg-Id, at most `window` pending acks; counts at the ack
//	natsbench sub --expect N [--idle 30] [--samples FILE]   ordered push consumer on alerts.>
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	_ "unsafe"

	"github.com/nats-io/nats.go"
)

// CLOCK_MONOTONIC in ns, the clock the other clients stamp with.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var marker = []byte("bench-ts:")

const digits = 20

type frame struct {
	data []byte
	ts   int
	id   string
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "natsbench: "+format+"\n", args...)
	os.Exit(2)
}

// field returns the first length-delimited field `number` of a protobuf message.
func field(number uint64, m []byte) []byte {
	i := 0
	varint := func() (uint64, bool) {
		var v uint64
		for shift := uint(0); i < len(m) && shift < 64; shift += 7 {
			b := m[i]
			i++
			v |= uint64(b&0x7f) << shift
			if b&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	for i < len(m) {
		key, ok := varint()
		if !ok {
			return nil
		}
		switch key & 7 {
		case 0:
			if _, ok := varint(); !ok {
				return nil
			}
		case 1:
			i += 8
		case 5:
			i += 4
		case 2:
			l, ok := varint()
			if !ok || i+int(l) > len(m) {
				return nil
			}
			start := i
			i += int(l)
			if key>>3 == number {
				return m[start:i]
			}
		default:
			return nil
		}
	}
	return nil
}

func alertNumber(payload []byte) int {
	id := field(1, field(1, payload))
	v, scale, k := 0, 1, len(id)
	for k > 0 && id[k-1] >= '0' && id[k-1] <= '9' {
		v += int(id[k-1]-'0') * scale
		scale *= 10
		k--
	}
	if k == len(id) {
		return -1
	}
	return v
}

func readTS(p []byte) int64 {
	at := bytes.Index(p, marker)
	if at < 0 || at+len(marker)+digits > len(p) {
		return 0
	}
	var v int64
	for _, c := range p[at+len(marker) : at+len(marker)+digits] {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

func patchTS(p []byte, v int64) {
	for i := digits - 1; i >= 0; i-- {
		p[i] = byte('0' + v%10)
		v /= 10
	}
}

func loadFrames(path string, limit int) []frame {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	var frames []frame
	r := bytes.NewReader(data)
	for len(frames) < limit {
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err == io.EOF {
			break
		} else if err != nil {
			die("%s: %v", path, err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			die("%s: truncated", path)
		}
		at := bytes.Index(b, marker)
		if at < 0 {
			die("%s: frame without marker", path)
		}
		frames = append(frames, frame{data: b, ts: at + len(marker), id: string(field(1, field(1, b)))})
	}
	return frames
}

func writeSamples(path string, samples []uint64) {
	if path == "" {
		return
	}
	buf := make([]byte, 8*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint64(buf[8*i:], s)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		die("%v", err)
	}
}

func main() {
	if len(os.Args) < 2 {
		die("usage: natsbench setup|pub|sub [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	url := fs.String("url", "nats://127.0.0.1:4222", "server")
	framesPath := fs.String("frames", "", "frames file")
	subject := fs.String("subject", "alerts.x", "subject to publish on")
	window := fs.Int("window", 1000, "pending acks")
	rate := fs.Int64("rate", 0, "alerts/s (0: as fast as possible)")
	count := fs.Int("count", 1<<30, "alerts to publish")
	samplesPath := fs.String("samples", "", "latency samples file")
	expect := fs.Int("expect", 0, "alerts to receive")
	idle := fs.Int64("idle", 30, "seconds without a message before giving up")
	ready := fs.String("ready-file", "", "touched once subscribed")
	fs.Parse(os.Args[2:])

	nc, err := nats.Connect(*url)
	if err != nil {
		die("connect: %v", err)
	}
	defer nc.Close()
	switch os.Args[1] {
	case "setup":
		js, _ := nc.JetStream()
		_ = js.DeleteStream("BENCH")
		if _, err := js.AddStream(&nats.StreamConfig{Name: "BENCH", Subjects: []string{"alerts.>"},
			Storage: nats.FileStorage, Duplicates: 2 * time.Minute}); err != nil {
			die("add stream: %v", err)
		}
	case "pub":
		frames := loadFrames(*framesPath, *count)
		js, err := nc.JetStream(nats.PublishAsyncMaxPending(*window))
		if err != nil {
			die("%v", err)
		}
		futures := make(chan struct {
			f    nats.PubAckFuture
			sent int64
		}, *window*2)
		var samples []uint64
		acked, failed := 0, 0
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // acks arrive in order on one connection: wait for each in turn
			defer wg.Done()
			for p := range futures {
				select {
				case <-p.f.Ok():
					samples = append(samples, uint64(nanotime()-p.sent))
					acked++
				case err := <-p.f.Err():
					failed++
					if failed <= 5 {
						fmt.Fprintf(os.Stderr, "natsbench: publish failed: %v\n", err)
					}
				}
			}
		}()
		start := nanotime()
		for i := range frames {
			if *rate > 0 {
				due := start + int64(i)*1_000_000_000 / *rate
				if d := due - nanotime(); d > 0 {
					time.Sleep(time.Duration(d))
				}
			}
			now := nanotime()
			patchTS(frames[i].data[frames[i].ts:], now)
			msg := nats.NewMsg(*subject)
			msg.Data = frames[i].data
			msg.Header.Set(nats.MsgIdHdr, frames[i].id)
			f, err := js.PublishMsgAsync(msg)
			for err != nil && strings.Contains(err.Error(), "stalled") {
				// The window is full for longer than the client's stall wait: wait, then try again.
				time.Sleep(time.Millisecond)
				f, err = js.PublishMsgAsync(msg)
			}
			if err != nil {
				die("publish: %v", err)
			}
			futures <- struct {
				f    nats.PubAckFuture
				sent int64
			}{f, now}
		}
		close(futures)
		wg.Wait()
		end := nanotime()
		writeSamples(*samplesPath, samples)
		fmt.Printf("RESULT role=pub mode=jetstream sent=%d acked=%d nacks=%d start_ns=%d end_ns=%d\n", len(frames), acked, failed, start, end)
	case "sub":
		js, err := nc.JetStream()
		if err != nil {
			die("%v", err)
		}
		var mu sync.Mutex
		seen := map[int]bool{}
		var samples []uint64
		var first, last, lastMsg int64
		dups := 0
		done := make(chan struct{})
		_, err = js.Subscribe("alerts.>", func(m *nats.Msg) {
			now := nanotime()
			mu.Lock()
			defer mu.Unlock()
			lastMsg = now
			n := alertNumber(m.Data)
			if n < 0 || seen[n] {
				dups++
				return
			}
			seen[n] = true
			if first == 0 {
				first = now
			}
			last = now
			if ts := readTS(m.Data); ts > 0 && ts <= now {
				samples = append(samples, uint64(now-ts))
			}
			if len(seen) == *expect {
				close(done)
			}
		}, nats.OrderedConsumer())
		if err != nil {
			die("subscribe: %v", err)
		}
		if *ready != "" {
			time.Sleep(300 * time.Millisecond)
			os.WriteFile(*ready, nil, 0o644)
		}
		mu.Lock()
		lastMsg = nanotime()
		mu.Unlock()
	wait:
		for {
			select {
			case <-done:
				break wait
			case <-time.After(time.Second):
				mu.Lock()
				quiet := nanotime()-lastMsg > *idle*1_000_000_000
				mu.Unlock()
				if quiet {
					break wait
				}
			}
		}
		mu.Lock()
		writeSamples(*samplesPath, samples)
		fmt.Printf("RESULT role=sub mode=jetstream received=%d duplicates=%d first_ns=%d last_ns=%d\n", len(seen), dups, first, last)
		mu.Unlock()
	default:
		die("unknown mode %s", os.Args[1])
	}
}
