package dev.infopro.dl4j.samediff;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structure of a user's {@link SameDiff} graph between its image placeholder and its output variable: which ops
 * compute the output, in what order, and where it can be cut into gradient-isolated modules.
 *
 * <p>An op is a <em>data op</em> when it depends on the input; the other ops the output needs compute from constants
 * and parameters only (e.g. a shape), so each module that needs one gets its own copy. A variable {@code c} is a
 * valid cut when the data ops split into those {@code c} depends on ("before") and the rest ("after") with nothing
 * but {@code c} flowing from before to after: no other activation (e.g. a residual skip connection), not the input
 * placeholder, and no parameter used on both sides (two modules cannot train one array).
 */
final class SameDiffGraphAnalysis {
    private final SameDiff graph;
    private final String input;
    private final String output;
    /** The ops the output needs, in topological order. */
    private final List<String> order;
    private final Map<String, Integer> position = new HashMap<>();
    private final Set<String> dataOps = new HashSet<>();
    private List<String> validCuts;

    /**
     * @throws IllegalArgumentException when the input is not a placeholder or the output not an activation that
     *                                  depends on it
     */
    SameDiffGraphAnalysis(SameDiff graph, String input, String output) {
        this.graph = graph;
        this.input = input;
        this.output = output;
        SDVariable in = graph.hasVariable(input) ? graph.getVariable(input) : null;
        if (in == null || in.getVariableType() != VariableType.PLACEHOLDER) {
            throw new IllegalArgumentException("The input '" + input + "' is not a placeholder of the graph;"
                    + " placeholders: " + placeholders(graph));
        }
        if (!graph.hasVariable(output) || graph.getVariable(output).getVariableType() != VariableType.ARRAY) {
            throw new IllegalArgumentException("The output '" + output + "' is not an activation of the graph (the"
                    + " output of an op); give the variable holding the network's logits");
        }
        this.order = topologicalOrder(output);
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
        for (String op : order) { // topological: an op's producers are classified before it
            for (String v : inputsOf(op)) {
                String p = producer(v);
                if (v.equals(input) || p != null && dataOps.contains(p)) {
                    dataOps.add(op);
                    break;
                }
            }
        }
        for (String op : order) {
            for (String v : inputsOf(op)) {
                if (!v.equals(input) && graph.getVariable(v).getVariableType() == VariableType.PLACEHOLDER) {
                    throw new IllegalArgumentException("The network reads the placeholder '" + v + "' besides the"
                            + " input '" + input + "' (op '" + op + "'); local modules feed only the image: replace it"
                            + " by a constant, e.g. a training flag");
                }
            }
        }
        if (!dataOps.contains(producer(output))) {
            throw new IllegalArgumentException("The output '" + output + "' does not depend on the input '" + input
                    + "'");
        }
    }

    /** The graph's placeholders by name. */
    static List<String> placeholders(SameDiff graph) {
        List<String> names = new ArrayList<>();
        for (SDVariable v : graph.variables()) {
            if (v.getVariableType() == VariableType.PLACEHOLDER) {
                names.add(v.name());
            }
        }
        return names;
    }

    /** The variables after which the graph can be cut, in network order (the output excluded). */
    synchronized List<String> validCuts() {
        if (validCuts == null) {
            List<String> cuts = new ArrayList<>();
            for (String op : order) {
                if (dataOps.contains(op)) {
                    for (String v : outputsOf(op)) {
                        if (!v.equals(output) && crossing(v).isEmpty()) {
                            cuts.add(v);
                        }
                    }
                }
            }
            validCuts = Collections.unmodifiableList(cuts);
        }
        return validCuts;
    }

    /**
     * Why {@code name} cannot be a cut, or null when it can: an unknown variable, not an activation on the way to the
     * output, or the variables that cross it.
     */
    String whyNotCut(String name) {
        if (!graph.hasVariable(name)) {
            return "the graph has no variable '" + name + "'";
        }
        VariableType t = graph.getVariable(name).getVariableType();
        if (t != VariableType.ARRAY) {
            return "'" + name + "' is a " + t.name().toLowerCase(java.util.Locale.ROOT) + ", not an activation";
        }
        if (name.equals(output)) {
            return "'" + name + "' is the network output: nothing would remain for the last module";
        }
        String p = producer(name);
        if (!position.containsKey(p)) {
            return "the output '" + output + "' does not depend on '" + name + "'";
        }
        if (!dataOps.contains(p)) {
            return "'" + name + "' does not depend on the input '" + input + "'";
        }
        List<String> crossing = crossing(name);
        if (!crossing.isEmpty()) {
            return "it does not separate the graph; these variables computed before it are used after it (e.g. a"
                    + " residual skip connection, the input, or a shared parameter): " + crossing;
        }
        return null;
    }

    /**
     * The variables that cross a cut after activation {@code cut} (a data op's output): activations other than
     * {@code cut} and the input read by ops after it, and parameters read on both sides.
     */
    private List<String> crossing(String cut) {
        Set<String> before = dataAncestors(cut);
        Set<String> crossing = new LinkedHashSet<>();
        Set<String> paramsBefore = new HashSet<>();
        Set<String> paramsAfter = new HashSet<>();
        for (String op : order) {
            if (!dataOps.contains(op)) {
                continue;
            }
            boolean after = !before.contains(op);
            for (String v : inputsOf(op)) {
                String p = producer(v);
                if (after && (v.equals(input) || p != null && before.contains(p) && !v.equals(cut))) {
                    crossing.add(v);
                }
            }
            parameters(op, after ? paramsAfter : paramsBefore);
        }
        for (String p : paramsBefore) {
            if (paramsAfter.contains(p)) {
                crossing.add(p);
            }
        }
        return new ArrayList<>(crossing);
    }

    /**
     * The ops that compute {@code to} from {@code from} (the input when null) in topological order: the data ops
     * {@code to} depends on that {@code from} does not, and the constant ops they need.
     */
    List<String> segment(String from, String to) {
        Set<String> ops = dataAncestors(to);
        if (from != null) {
            ops.removeAll(dataAncestors(from));
        }
        return withConstantOps(ops);
    }

    /**
     * The ops that compute {@code target} from the output (e.g. the graph's own loss or prediction), in topological
     * order; they may read the output, the given placeholders, parameters and constants, nothing else.
     *
     * @throws IllegalArgumentException naming what else they read
     */
    List<String> head(String target, Set<String> allowedPlaceholders) {
        if (!graph.hasVariable(target) || graph.getVariable(target).getVariableType() != VariableType.ARRAY) {
            throw new IllegalArgumentException("'" + target + "' is not an activation of the graph");
        }
        Set<String> ops = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(producer(target));
        Set<String> bad = new LinkedHashSet<>();
        while (!todo.isEmpty()) {
            String op = todo.pop();
            if (!ops.add(op)) {
                continue;
            }
            for (String v : inputsOf(op)) {
                SDVariable var = graph.getVariable(v);
                if (v.equals(output)) {
                    continue;
                }
                if (var.getVariableType() == VariableType.PLACEHOLDER && !allowedPlaceholders.contains(v)
                        || var.getVariableType() == VariableType.ARRAY && position.containsKey(producer(v))
                        && dataOps.contains(producer(v))) {
                    bad.add(v);
                } else if (var.getVariableType() == VariableType.ARRAY) {
                    todo.add(producer(v));
                }
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("'" + target + "' must be computed from the output '" + output + "'"
                    + (allowedPlaceholders.isEmpty() ? "" : " and " + allowedPlaceholders) + " only, but it also reads "
                    + bad);
        }
        if (!dependsOn(ops, output)) {
            throw new IllegalArgumentException("'" + target + "' does not depend on the output '" + output + "'");
        }
        List<String> sorted = new ArrayList<>(topologicalOrder(target));
        sorted.retainAll(ops);
        return sorted;
    }

    private boolean dependsOn(Set<String> ops, String variable) {
        for (String op : ops) {
            if (inputsOf(op).contains(variable)) {
                return true;
            }
        }
        return false;
    }

    /** The data ops {@code variable} depends on, its producer included. */
    private Set<String> dataAncestors(String variable) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(variable);
        while (!todo.isEmpty()) {
            String p = producer(todo.pop());
            if (p != null && dataOps.contains(p) && seen.add(p)) {
                todo.addAll(inputsOf(p));
            }
        }
        return seen;
    }

    // The ops plus the constant ops they read from, recursively, in topological order.
    private List<String> withConstantOps(Set<String> dataSet) {
        Set<String> all = new HashSet<>(dataSet);
        Deque<String> todo = new ArrayDeque<>(dataSet);
        while (!todo.isEmpty()) {
            for (String v : inputsOf(todo.pop())) {
                String p = producer(v);
                if (p != null && !dataOps.contains(p) && all.add(p)) {
                    todo.add(p);
                }
            }
        }
        List<String> sorted = new ArrayList<>();
        for (String op : order) {
            if (all.contains(op)) {
                sorted.add(op);
            }
        }
        return sorted;
    }

    // The trainable variables op reads, directly or through constant ops.
    private void parameters(String op, Set<String> into) {
        Deque<String> todo = new ArrayDeque<>(List.of(op));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String o = todo.pop();
            if (!seen.add(o)) {
                continue;
            }
            for (String v : inputsOf(o)) {
                SDVariable var = graph.getVariable(v);
                if (var.getVariableType() == VariableType.VARIABLE) {
                    into.add(v);
                } else if (var.getVariableType() == VariableType.ARRAY && !dataOps.contains(producer(v))) {
                    todo.add(producer(v));
                }
            }
        }
    }

    private List<String> topologicalOrder(String target) {
        List<String> sorted = new ArrayList<>();
        Set<String> done = new HashSet<>();
        Set<String> onPath = new HashSet<>();
        // Iterative depth-first post-order: deep networks would overflow the stack with recursion.
        Deque<String[]> stack = new ArrayDeque<>();
        String first = producer(target);
        if (first == null) {
            return sorted;
        }
        stack.push(new String[]{first});
        onPath.add(first);
        Map<String, Integer> next = new HashMap<>();
        while (!stack.isEmpty()) {
            String op = stack.peek()[0];
            List<String> ins = inputsOf(op);
            int i = next.getOrDefault(op, 0);
            if (i < ins.size()) {
                next.put(op, i + 1);
                String p = producer(ins.get(i));
                if (p != null && !done.contains(p)) {
                    if (!onPath.add(p)) {
                        throw new IllegalArgumentException("The graph has a cycle through op '" + p + "' (control"
                                + " flow loops are not supported)");
                    }
                    stack.push(new String[]{p});
                }
            } else {
                stack.pop();
                onPath.remove(op);
                done.add(op);
                sorted.add(op);
            }
        }
        return sorted;
    }

    /** The ops the output needs, in topological order. */
    List<String> getOrder() {
        return Collections.unmodifiableList(order);
    }

    /** Whether {@code op} depends on the input (else it computes from parameters and constants only). */
    boolean isDataOp(String op) {
        return dataOps.contains(op);
    }

    List<String> inputsOf(String op) {
        SameDiffOp o = graph.getOps().get(op);
        return o.getInputsToOp() == null ? List.of() : o.getInputsToOp();
    }

    List<String> outputsOf(String op) {
        SameDiffOp o = graph.getOps().get(op);
        return o.getOutputsOfOp() == null ? List.of() : o.getOutputsOfOp();
    }

    /** The op that computes {@code variable}, or null for placeholders, parameters and constants. */
    String producer(String variable) {
        return graph.getVariables().get(variable).getOutputOfOp();
    }

    /** The image placeholder. */
    String getInput() {
        return input;
    }

    /** The network output. */
    String getOutput() {
        return output;
    }

    /** The graph analysed. */
    SameDiff getGraph() {
        return graph;
    }
}
