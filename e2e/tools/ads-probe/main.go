// ads-probe asks istiod, over plain-text ADS, for what one pod's sidecar would get: the HTTP route of a
// service port and the endpoints of that service's subsets. It identifies itself as the pod's sidecar
// (node id sidecar~IP~POD.NS~NS.svc.cluster.local, with the cluster and network in its metadata), as
// the pod's istio-proxy does, and prints one JSON line per answer set:
//
//	{"route": {"name": "80", "host": "...", "weights": {"outbound|80|primary|...": 100, ...}},
//	 "endpoints": {"primary": [{"address": "10.0.0.5", "port": 8081, "weight": 1}], "burst": []}}
//
// With -watch it keeps the stream open and prints a line whenever istiod pushes a change, until it is
// stopped or -for runs out; when istiod goes away it connects again, as a sidecar does.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	routeType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	endpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
)

type options struct {
	addr, pod, namespace, ip, cluster, network, host, subsets, labels string
	port                                                              int
	watch                                                             bool
	timeout, duration                                                 time.Duration
}

type lbEndpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	Weight  uint32 `json:"weight"`
}

type answer struct {
	Route struct {
		Name    string            `json:"name"`
		Host    string            `json:"host"`
		Weights map[string]uint32 `json:"weights"`
	} `json:"route"`
	Endpoints map[string][]lbEndpoint `json:"endpoints"`
}

func main() {
	o := parseFlags()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "ads-probe:", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.addr, "istiod", "127.0.0.1:15010", "istiod's plain-text xDS address")
	flag.StringVar(&o.pod, "pod", "", "the pod whose sidecar to stand for (required)")
	flag.StringVar(&o.namespace, "namespace", "default", "the pod's namespace")
	flag.StringVar(&o.ip, "ip", "", "the pod's IP (required)")
	flag.StringVar(&o.cluster, "cluster", "", "the pod's cluster ID (required)")
	flag.StringVar(&o.network, "network", "", "the pod's network")
	flag.StringVar(&o.labels, "labels", "", "the pod's labels, k=v,k=v")
	flag.StringVar(&o.host, "host", "", "the service's host name, e.g. worker-service.default.svc.cluster.local (required)")
	flag.IntVar(&o.port, "port", 80, "the service port whose route to read")
	flag.StringVar(&o.subsets, "subsets", "primary,burst", "the subsets whose endpoints to read")
	flag.BoolVar(&o.watch, "watch", false, "print a line on every push until stopped")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for the first complete answer")
	flag.DurationVar(&o.duration, "for", 0, "with -watch, stop after this long (0: until stopped)")
	flag.Parse()
	for name, v := range map[string]string{"pod": o.pod, "ip": o.ip, "cluster": o.cluster, "host": o.host} {
		if v == "" {
			fmt.Fprintf(os.Stderr, "ads-probe: -%s is required\n", name)
			os.Exit(2)
		}
	}
	return o
}

func (o options) node() (*core.Node, error) {
	labels := map[string]any{}
	for _, kv := range strings.Split(o.labels, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			labels[k] = v
		}
	}
	meta, err := structpb.NewStruct(map[string]any{
		"CLUSTER_ID": o.cluster, "NETWORK": o.network, "NAMESPACE": o.namespace, "NAME": o.pod,
		"LABELS": labels, "INTERCEPTION_MODE": "REDIRECT", "ISTIO_VERSION": "probe",
	})
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", o.ip, o.pod, o.namespace, o.namespace)
	return &core.Node{Id: id, Metadata: meta}, nil
}

func (o options) clusterName(subset string) string {
	return fmt.Sprintf("outbound|%d|%s|%s", o.port, subset, o.host)
}

func run(o options) error {
	node, err := o.node()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.watch && o.duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	first := time.AfterFunc(o.timeout, func() {
		fmt.Fprintf(os.Stderr, "ads-probe: no complete answer from %s within %s\n", o.addr, o.timeout)
		os.Exit(1)
	})
	for {
		err := session(ctx, o, node, first)
		if !o.watch || ctx.Err() != nil {
			return err
		}
		// as a sidecar does when istiod goes away: connect again, and ask for everything afresh
		fmt.Fprintf(os.Stderr, "ads-probe: stream ended (%v); reconnecting\n", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// session is one ADS stream: the requests, then every answer until the stream ends.
func session(ctx context.Context, o options, node *core.Node, first *time.Timer) error {
	conn, err := grpc.NewClient(o.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return err
	}
	subsets := strings.Split(o.subsets, ",")
	clusters := make([]string, len(subsets))
	for i, s := range subsets {
		clusters[i] = o.clusterName(s)
	}
	for typ, names := range map[string][]string{routeType: {fmt.Sprint(o.port)}, endpointType: clusters} {
		if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typ, ResourceNames: names}); err != nil {
			return err
		}
	}
	return receive(ctx, o, stream, subsets, first)
}

func receive(ctx context.Context, o options, stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient, subsets []string, first *time.Timer) error {
	var a answer
	a.Endpoints = map[string][]lbEndpoint{}
	gotRoute, gotEndpoints := false, false
	for {
		resp, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := apply(&a, o, resp, subsets); err != nil {
			return err
		}
		gotRoute = gotRoute || resp.TypeUrl == routeType
		gotEndpoints = gotEndpoints || resp.TypeUrl == endpointType
		ack := &discovery.DiscoveryRequest{TypeUrl: resp.TypeUrl, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce, ResourceNames: names(o, resp.TypeUrl, subsets)}
		if err := stream.Send(ack); err != nil {
			return err
		}
		if gotRoute && gotEndpoints {
			first.Stop()
			line, _ := json.Marshal(a)
			fmt.Println(string(line))
			if !o.watch {
				return nil
			}
		}
	}
}

func names(o options, typ string, subsets []string) []string {
	if typ == routeType {
		return []string{fmt.Sprint(o.port)}
	}
	out := make([]string, len(subsets))
	for i, s := range subsets {
		out[i] = o.clusterName(s)
	}
	return out
}

func apply(a *answer, o options, resp *discovery.DiscoveryResponse, subsets []string) error {
	for _, res := range resp.Resources {
		switch resp.TypeUrl {
		case routeType:
			var rc route.RouteConfiguration
			if err := res.UnmarshalTo(&rc); err != nil {
				return err
			}
			a.Route.Name, a.Route.Host, a.Route.Weights = rc.Name, o.host, routeWeights(&rc, o.host)
		case endpointType:
			var cla endpoint.ClusterLoadAssignment
			if err := res.UnmarshalTo(&cla); err != nil {
				return err
			}
			for _, s := range subsets {
				if cla.ClusterName == o.clusterName(s) {
					a.Endpoints[s] = endpoints(&cla)
				}
			}
		}
	}
	return nil
}

// routeWeights: the weighted clusters (or the single cluster, at 100) of the first route of the
// virtual host that serves host.
func routeWeights(rc *route.RouteConfiguration, host string) map[string]uint32 {
	out := map[string]uint32{}
	for _, vh := range rc.VirtualHosts {
		if !serves(vh.Domains, host) || len(vh.Routes) == 0 {
			continue
		}
		action := vh.Routes[0].GetRoute()
		if action == nil {
			continue
		}
		if wc := action.GetWeightedClusters(); wc != nil {
			for _, c := range wc.Clusters {
				out[c.Name] += c.GetWeight().GetValue()
			}
		} else if c := action.GetCluster(); c != "" {
			out[c] = 100
		}
		break
	}
	return out
}

func serves(domains []string, host string) bool {
	for _, d := range domains {
		if d == host || strings.HasPrefix(d, host+":") {
			return true
		}
	}
	return false
}

func endpoints(cla *endpoint.ClusterLoadAssignment) []lbEndpoint {
	out := []lbEndpoint{}
	for _, locality := range cla.Endpoints {
		for _, e := range locality.LbEndpoints {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			if sa == nil {
				continue
			}
			w := e.GetLoadBalancingWeight().GetValue()
			if w == 0 {
				w = 1
			}
			out = append(out, lbEndpoint{Address: sa.Address, Port: sa.GetPortValue(), Weight: w})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Address+fmt.Sprint(out[i].Port) < out[j].Address+fmt.Sprint(out[j].Port)
	})
	return out
}
