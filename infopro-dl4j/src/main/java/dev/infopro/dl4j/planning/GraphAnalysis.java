package dev.infopro.dl4j.planning;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Topology of a {@link ComputationGraphConfiguration}: where it can be cut into gradient-isolated modules.
 *
 * <p>A cut after vertex v is valid when v separates the graph: every path from the network inputs to the outputs
 * passes through v, i.e. no edge leaves the set "v and its ancestors" except from v itself (a residual skip
 * crossing v makes the cut invalid), and every network input is upstream of v. Network inputs and outputs are
 * never cuts.
 */
public final class GraphAnalysis {

    private final ComputationGraphConfiguration conf;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, List<String>> vertexInputs;
    private final Map<String, List<String>> consumers = new HashMap<>();
    private final List<String> topoOrder;
    private final Map<String, Integer> topoIndex = new HashMap<>();

    /** Analyses {@code conf}; it is not modified. */
    public GraphAnalysis(ComputationGraphConfiguration conf) {
        this.conf = conf;
        this.inputs = new ArrayList<>(conf.getNetworkInputs());
        this.outputs = new ArrayList<>(conf.getNetworkOutputs());
        this.vertexInputs = conf.getVertexInputs();
        for (String in : inputs) {
            consumers.put(in, new ArrayList<>());
        }
        for (String v : conf.getVertices().keySet()) {
            consumers.computeIfAbsent(v, x -> new ArrayList<>());
        }
        for (Map.Entry<String, List<String>> e : vertexInputs.entrySet()) {
            for (String u : e.getValue()) {
                consumers.computeIfAbsent(u, x -> new ArrayList<>()).add(e.getKey());
            }
        }
        this.topoOrder = topologicalOrder();
        for (int i = 0; i < topoOrder.size(); i++) {
            topoIndex.put(topoOrder.get(i), i);
        }
    }

    // Kahn's algorithm in vertex insertion order, so the result is deterministic.
    private List<String> topologicalOrder() {
        Map<String, Integer> indeg = new LinkedHashMap<>();
        for (String in : inputs) {
            indeg.put(in, 0);
        }
        for (String v : conf.getVertices().keySet()) {
            List<String> ins = vertexInputs.get(v);
            indeg.put(v, ins == null ? 0 : ins.size());
        }
        Deque<String> ready = new ArrayDeque<>();
        indeg.forEach((v, d) -> {
            if (d == 0) {
                ready.add(v);
            }
        });
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String v = ready.poll();
            order.add(v);
            for (String w : consumers.getOrDefault(v, Collections.emptyList())) {
                int d = indeg.merge(w, -1, Integer::sum);
                if (d == 0) {
                    ready.add(w);
                }
            }
        }
        if (order.size() != indeg.size()) {
            throw new IllegalArgumentException("The graph has a cycle; it is not a valid ComputationGraph");
        }
        return order;
    }

    /** The vertices that read {@code vertex}'s output (empty for an output or an unknown name). */
    public List<String> consumers(String vertex) {
        return Collections.unmodifiableList(consumers.getOrDefault(vertex, Collections.emptyList()));
    }

    /** Network inputs then vertices, in a topological order. */
    public List<String> topologicalOrder(boolean includeInputs) {
        if (includeInputs) {
            return Collections.unmodifiableList(topoOrder);
        }
        List<String> out = new ArrayList<>();
        for (String v : topoOrder) {
            if (!inputs.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    /** Position of {@code vertex} in {@link #topologicalOrder(boolean) topologicalOrder(true)}. */
    public int topologicalIndex(String vertex) {
        Integer i = topoIndex.get(vertex);
        if (i == null) {
            throw new IllegalArgumentException("Unknown vertex '" + vertex + "'");
        }
        return i;
    }

    /** {@code vertex} and all vertices (and network inputs) it depends on. */
    public Set<String> upstreamClosure(String vertex) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(vertex);
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (seen.add(v)) {
                List<String> ins = vertexInputs.get(v);
                if (ins != null) {
                    todo.addAll(ins);
                }
            }
        }
        return seen;
    }

    /**
     * Edges "u -&gt; w" that jump over a cut after {@code vertex} (u upstream of the cut but not the cut vertex,
     * w downstream), plus "input -&gt; w" for network inputs that enter after the cut. Empty for a valid cut.
     */
    public List<String> crossingEdges(String vertex) {
        Set<String> up = upstreamClosure(vertex);
        List<String> crossing = new ArrayList<>();
        for (String u : topoOrder) {
            if (!up.contains(u)) {
                if (inputs.contains(u)) {
                    for (String w : consumers.getOrDefault(u, Collections.emptyList())) {
                        crossing.add(u + " -> " + w);
                    }
                }
                continue;
            }
            if (u.equals(vertex)) {
                continue;
            }
            for (String w : consumers.getOrDefault(u, Collections.emptyList())) {
                if (!up.contains(w)) {
                    crossing.add(u + " -> " + w);
                }
            }
        }
        return crossing;
    }

    /** Whether a cut after {@code vertex} is valid (see class comment). */
    public boolean isValidCut(String vertex) {
        return conf.getVertices().containsKey(vertex) && !inputs.contains(vertex) && !outputs.contains(vertex)
                && !consumers.getOrDefault(vertex, Collections.emptyList()).isEmpty()
                && crossingEdges(vertex).isEmpty();
    }

    /** All valid cut vertices, in topological order. */
    public List<String> validCuts() {
        List<String> out = new ArrayList<>();
        for (String v : topoOrder) {
            if (isValidCut(v)) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * Checks a user-supplied cut.
     *
     * @throws IllegalArgumentException naming the problem (unknown vertex, network input or output, crossing
     *                                  edges) and listing the valid cut vertices
     */
    public void checkCut(String vertex) {
        if (vertex == null) {
            throw new IllegalArgumentException("Cut vertex name must not be null; valid cut vertices: " + validCuts());
        }
        if (inputs.contains(vertex)) {
            throw new IllegalArgumentException("Cannot cut after '" + vertex + "': it is a network input. Valid cut"
                    + " vertices: " + validCuts());
        }
        if (!conf.getVertices().containsKey(vertex)) {
            throw new IllegalArgumentException("Unknown vertex '" + vertex + "': the graph has no vertex of that name."
                    + " Valid cut vertices: " + validCuts());
        }
        if (outputs.contains(vertex)) {
            throw new IllegalArgumentException("Cannot cut after '" + vertex + "': it is a network output, nothing"
                    + " would remain for the last module. Valid cut vertices: " + validCuts());
        }
        if (consumers.getOrDefault(vertex, Collections.emptyList()).isEmpty()) {
            throw new IllegalArgumentException("Cannot cut after '" + vertex + "': no vertex reads its output."
                    + " Valid cut vertices: " + validCuts());
        }
        List<String> crossing = crossingEdges(vertex);
        if (!crossing.isEmpty()) {
            throw new IllegalArgumentException("Invalid cut after '" + vertex + "': it does not separate the graph;"
                    + " these edges jump over it (e.g. a residual skip connection): " + crossing
                    + ". Valid cut vertices: " + validCuts());
        }
    }

    /** 1 for a layer vertex, 0 for other vertices (merge, element-wise, ...): the EQUAL_DEPTH cost. */
    public int layerCount(String vertex) {
        GraphVertex gv = conf.getVertices().get(vertex);
        return gv instanceof LayerVertex ? 1 : 0;
    }

    /**
     * Backbone vertices of each module for the given (validated, topologically sorted) cuts: module k holds the
     * vertices after cut k-1 up to and including cut k; the last module holds the rest. Inputs are excluded.
     */
    public List<List<String>> moduleVertices(List<String> cuts) {
        List<List<String>> modules = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>(inputs);
        for (int k = 0; k <= cuts.size(); k++) {
            Set<String> upTo = k < cuts.size() ? upstreamClosure(cuts.get(k)) : new LinkedHashSet<>(topoOrder);
            List<String> mod = new ArrayList<>();
            for (String v : topoOrder) {
                if (upTo.contains(v) && !done.contains(v)) {
                    mod.add(v);
                }
            }
            done.addAll(mod);
            modules.add(mod);
        }
        return modules;
    }

    /**
     * Sorts the cuts topologically and checks each one.
     *
     * @throws IllegalArgumentException for an invalid or repeated cut
     */
    public List<String> sortAndCheckCuts(List<String> cuts) {
        for (String c : cuts) {
            checkCut(c);
        }
        List<String> sorted = new ArrayList<>(new LinkedHashSet<>(cuts));
        if (sorted.size() != cuts.size()) {
            throw new IllegalArgumentException("Cut vertices must be distinct, got " + cuts);
        }
        sorted.sort((a, b) -> Integer.compare(topoIndex.get(a), topoIndex.get(b)));
        return sorted;
    }

    /** The graph's input names, in the configuration's order (read-only). */
    public List<String> getInputs() {
        return Collections.unmodifiableList(inputs);
    }

    /** The graph's output names, in the configuration's order (read-only). */
    public List<String> getOutputs() {
        return Collections.unmodifiableList(outputs);
    }
}
