package juliaruntest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// The real node's network. Every range is private and collides neither with
// envtest's Service range (10.0.0.0/24) nor with kwok's pod range (podCIDR).
const (
	// RealNodeIP is the real node's InternalIP: the kubelet, kube-proxy's
	// node ports and CoreDNS listen there. The kubelet refuses a loopback
	// address, so it sits, as a /32, on an empty bridge of its own
	// (DESIGN.md, "A real node: facts"; this kernel has no dummy links).
	RealNodeIP = "10.245.255.1"
	// RealNodePodCIDR is where the real node's pods get their addresses,
	// on the bridge realPodBridge with gateway realPodGateway.
	RealNodePodCIDR = "10.245.0.0/24"
	realPodGateway  = "10.245.0.1"
	realNodeBridge  = "jrt-node0"
	realPodBridge   = "jrt-pods0"
	// realNFTable is the nft table of the real node's own guard rules.
	realNFTable = "juliaruntest"
	// localRanges are the ranges pod traffic and this machine's traffic
	// to services may be addressed to; none of them may leave the machine.
	localRanges = "10.0.0.0/24, 10.244.0.0/16, 10.245.0.0/16"
)

// guardRules keeps every packet of the real node on this machine: nothing
// from the pod bridge is forwarded to any other interface (a pod cannot
// reach beyond the machine, even through a Service whose endpoints are
// kwok's made-up pod addresses), and nothing this machine sends to the
// cluster's ranges leaves through a real interface.
const guardRules = `table inet ` + realNFTable + ` {
	chain forward {
		type filter hook forward priority -10; policy accept;
		iifname "` + realPodBridge + `" oifname != "` + realPodBridge + `" counter drop
		oifname != { "lo", "` + realPodBridge + `", "` + realNodeBridge + `" } ip daddr { ` + localRanges + ` } counter drop
	}
	chain output {
		type filter hook output priority -10; policy accept;
		oifname != { "lo", "` + realPodBridge + `", "` + realNodeBridge + `" } ip daddr { ` + localRanges + ` } counter drop
	}
}
`

// setUpNetwork makes the node's bridge and address and loads the guard
// rules. The pod bridge is made by the CNI bridge plugin with the first pod.
func (n *realNode) setUpNetwork(ctx context.Context) error {
	for _, args := range [][]string{
		{"link", "add", realNodeBridge, "type", "bridge"},
		{"addr", "add", RealNodeIP + "/32", "dev", realNodeBridge},
		{"link", "set", realNodeBridge, "up"},
	} {
		if err := ipCmd(ctx, args...); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(guardRules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("juliaruntest: loading the real node's nft rules: %w: %s", err, out)
	}
	return nil
}

func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("juliaruntest: ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// cleanNetwork removes the real node's links and nft state: the two
// bridges and any veth left on the pod bridge, the guard table,
// kube-proxy's tables, portmap's table, and the KUBE-/CNI- chains the
// kubelet or CNI may have made through iptables-nft. It is idempotent.
func cleanNetwork(ctx context.Context) error {
	var errs []error
	if out, err := exec.CommandContext(ctx, "ip", "-o", "link", "show", "master", realPodBridge).Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			// "7: veth1234@if2: <...> ... master jrt-pods0 ..."
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if err := ipCmd(ctx, "link", "del", name); err != nil && !linkGone(err) {
				errs = append(errs, err)
			}
		}
	}
	for _, link := range []string{realPodBridge, realNodeBridge} {
		if err := ipCmd(ctx, "link", "del", link); err != nil && !linkGone(err) {
			errs = append(errs, err)
		}
	}
	if err := cleanNFT(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func linkGone(err error) bool {
	return strings.Contains(err.Error(), "Cannot find device") || strings.Contains(err.Error(), "does not exist")
}

// nftRuleset is the part of `nft -j list ruleset` cleanNFT reads.
type nftRuleset struct {
	Nftables []struct {
		Table *struct {
			Family string `json:"family"`
			Name   string `json:"name"`
		} `json:"table"`
		Chain *struct {
			Family string `json:"family"`
			Table  string `json:"table"`
			Name   string `json:"name"`
		} `json:"chain"`
		Rule *struct {
			Family string            `json:"family"`
			Table  string            `json:"table"`
			Chain  string            `json:"chain"`
			Handle int               `json:"handle"`
			Expr   []json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

// ownedTable reports whether an nft table is the real node's as a whole.
func ownedTable(family, name string) bool {
	switch name {
	case realNFTable, "cni_hostport":
		return true
	case "kube-proxy":
		return family == "ip" || family == "ip6"
	}
	return false
}

// ownedChain reports whether a chain in a shared (iptables-nft) table is
// the real node's: the kubelet's KUBE-FIREWALL, KUBE-KUBELET-CANARY and
// KUBE-IPTABLES-HINT, kube-proxy's canaries, CNI's CNI-* chains.
func ownedChain(name string) bool {
	return strings.HasPrefix(name, "KUBE-") || strings.HasPrefix(name, "CNI-")
}

// cleanNFT deletes the real node's nft tables, then, in the other tables,
// every rule that jumps to one of its chains and those chains.
func cleanNFT(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "nft", "-j", "list", "ruleset").Output()
	if err != nil {
		return fmt.Errorf("juliaruntest: nft -j list ruleset: %w", err)
	}
	var rs nftRuleset
	if err := json.Unmarshal(out, &rs); err != nil {
		return fmt.Errorf("juliaruntest: reading nft's ruleset: %w", err)
	}
	var script strings.Builder
	for _, o := range rs.Nftables {
		if o.Table != nil && ownedTable(o.Table.Family, o.Table.Name) {
			fmt.Fprintf(&script, "delete table %s %s\n", o.Table.Family, o.Table.Name)
		}
	}
	for _, o := range rs.Nftables {
		r := o.Rule
		if r == nil || ownedTable(r.Family, r.Table) || ownedChain(r.Chain) {
			continue
		}
		for _, e := range r.Expr {
			if jumpsToOwned(e) {
				fmt.Fprintf(&script, "delete rule %s %s %s handle %d\n", r.Family, r.Table, r.Chain, r.Handle)
				break
			}
		}
	}
	var chains []string
	for _, o := range rs.Nftables {
		c := o.Chain
		if c != nil && !ownedTable(c.Family, c.Table) && ownedChain(c.Name) {
			fmt.Fprintf(&script, "flush chain %s %s %s\n", c.Family, c.Table, c.Name)
			chains = append(chains, fmt.Sprintf("delete chain %s %s %s\n", c.Family, c.Table, c.Name))
		}
	}
	script.WriteString(strings.Join(chains, ""))
	if script.Len() == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("juliaruntest: removing the real node's nft rules: %w: %s\n%s", err, out, script.String())
	}
	return nil
}

// jumpsToOwned reports whether an nft JSON expression is a jump or goto
// to an owned chain.
func jumpsToOwned(expr json.RawMessage) bool {
	var e struct {
		Jump *struct{ Target string } `json:"jump"`
		Goto *struct{ Target string } `json:"goto"`
	}
	if json.Unmarshal(expr, &e) != nil {
		return false
	}
	return (e.Jump != nil && ownedChain(e.Jump.Target)) || (e.Goto != nil && ownedChain(e.Goto.Target))
}
