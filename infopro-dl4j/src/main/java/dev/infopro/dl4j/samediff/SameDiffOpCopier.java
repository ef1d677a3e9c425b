package dev.infopro.dl4j.samediff;

import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.NameScope;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ops.impl.layers.convolution.BatchNorm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Copies ops of one {@link SameDiff} graph into another. SameDiff 1.0.0-M2.1 has no sub-graph extraction, so this does
 * what {@code SameDiff.fromFlatBuffers} does for a whole graph, op by op: each op is cloned through its FlatBuffers
 * form ({@code DifferentialFunction.dup()}, the serialisation {@code SameDiff.save} uses, so every op that saves
 * copies), then wired into the target graph under its own name with its outputs under their own names. Parameters and
 * constants it reads are copied with their values; control dependencies are not carried over (a feed-forward
 * network's ops have no side effects to order).
 */
final class SameDiffOpCopier {
    private SameDiffOpCopier() {
    }

    /**
     * Adds {@code ops} of {@code source} (in topological order) to {@code target}.
     *
     * @param substitutes source variables to read from target variables instead (e.g. the module input)
     * @param ranks       the input rank of each {@code batchnorm} op among {@code ops}, by op name
     * @throws IllegalArgumentException when a name is taken in the target, or an op reads a placeholder or
     *                                  activation that is neither copied nor substituted
     */
    static void copy(SameDiff source, List<String> ops, Map<String, SDVariable> substitutes, SameDiff target,
                     Map<String, Integer> ranks) {
        for (String name : ops) {
            SameDiffOp op = source.getOps().get(name);
            if (target.getOps().containsKey(name)) {
                throw new IllegalArgumentException("Op name '" + name + "' is already used in the module graph:"
                        + " rename it in your graph (names the library uses: " + SameDiffGraphImport.RESERVED + ")");
            }
            List<String> inputs = new ArrayList<>();
            for (String v : op.getInputsToOp() == null ? List.<String>of() : op.getInputsToOp()) {
                SDVariable sub = substitutes.get(v);
                inputs.add(sub != null ? sub.name() : ensureLeaf(source, v, name, target));
            }
            if (op.getOp() instanceof BatchNorm) {
                batchNorm(source, (BatchNorm) op.getOp(), name, inputs, target, ranks.get(name));
                continue;
            }
            DifferentialFunction clone = op.getOp().dup();
            clone.setSameDiff(target);
            clone.setOwnName(name);
            List<String> outputs = new ArrayList<>(op.getOutputsOfOp());
            target.getOps().put(name, SameDiffOp.builder().name(name).op(clone).inputsToOp(inputs)
                    .outputsOfOp(outputs).build());
            for (String in : inputs) {
                Variable v = target.getVariables().get(in);
                if (v.getInputsForOp() == null) {
                    v.setInputsForOp(new ArrayList<>());
                }
                if (!v.getInputsForOp().contains(name)) {
                    v.getInputsForOp().add(name);
                }
            }
            for (String out : outputs) {
                if (target.hasVariable(out)) {
                    throw new IllegalArgumentException("Variable name '" + out + "' is already used in the module"
                            + " graph: rename it in your graph (names the library uses: " + SameDiffGraphImport.RESERVED
                            + ")");
                }
                SDVariable nv = new SDVariable(out, VariableType.ARRAY, target, null,
                        source.getVariable(out).dataType());
                target.getVariables().put(out, Variable.builder().name(out).variable(nv).outputOfOp(name).build());
            }
            clone.configureWithSameDiff(target);
        }
    }

    /**
     * SameDiff's {@code batchnorm} op cannot be differentiated in M2.1: the gradient function clones every op through
     * FlatBuffers, which restores the op's axis arguments but not the field its {@code doDiff} reads, and fails with
     * "Invalid axis argument: axis must be specified". So the op is written out as the same arithmetic, {@code
     * (x - mean) / sqrt(var + eps) * gamma + beta} on the statistics it is given, broadcast over its axis; its output
     * keeps its name.
     */
    private static void batchNorm(SameDiff source, BatchNorm op, String name, List<String> inputs, SameDiff target,
                                  Integer rank) {
        long[] iArgs = op.iArgs(); // applyGamma, applyBeta, axis
        boolean gamma = iArgs.length == 3 && iArgs[0] != 0;
        boolean beta = iArgs.length == 3 && iArgs[1] != 0;
        SDVariable x = target.getVariable(inputs.get(0));
        if (rank == null || iArgs.length != 3 || inputs.size() != 3 + (gamma ? 1 : 0) + (beta ? 1 : 0)) {
            throw new IllegalArgumentException("Batch-norm op '" + name + "': only a batch norm over one axis of an"
                    + " input of known rank can be trained (SameDiff's batchnorm op has no working gradient in"
                    + " 1.0.0-M2.1, so it is written out); got axis " + java.util.Arrays.toString(iArgs)
                    + " and input rank " + rank);
        }
        long[] bc = new long[rank];
        java.util.Arrays.fill(bc, 1);
        bc[(int) (iArgs[2] < 0 ? iArgs[2] + rank : iArgs[2])] = -1;
        SDVariable y;
        // Under the op's own name, so that the new ops cannot take the name of an op of the graph copied later.
        try (NameScope scope = target.withNameScope(name)) {
            SDVariable mean = target.getVariable(inputs.get(1)).reshape(bc);
            SDVariable var = target.getVariable(inputs.get(2)).reshape(bc);
            y = x.sub(mean).div(target.math.sqrt(var.add(op.getEpsilon())));
            if (gamma) {
                y = y.mul(target.getVariable(inputs.get(3)).reshape(bc));
            }
            if (beta) {
                y = y.add(target.getVariable(inputs.get(gamma ? 4 : 3)).reshape(bc));
            }
        }
        y.rename(source.getOps().get(name).getOutputsOfOp().get(0));
    }

    // What the op reads: an activation copied before, or a parameter or constant, copied with its value the first time.
    private static String ensureLeaf(SameDiff source, String v, String op, SameDiff target) {
        SDVariable s = source.getVariable(v);
        VariableType t = s.getVariableType();
        if (target.hasVariable(v)) {
            // Fine when it is the same thing: an activation an op copied before computed, or a leaf copied before.
            boolean same = t == VariableType.ARRAY
                    ? Objects.equals(target.getVariables().get(v).getOutputOfOp(),
                    source.getVariables().get(v).getOutputOfOp())
                    : t != VariableType.PLACEHOLDER && target.getVariable(v).getVariableType() == t;
            if (!same) {
                throw new IllegalArgumentException("Variable name '" + v + "' (read by op '" + op + "') is already"
                        + " used in the module graph for something else: rename it in your graph (names the"
                        + " library uses: " + SameDiffGraphImport.RESERVED + ")");
            }
            return v;
        }
        if (t == VariableType.VARIABLE) {
            target.var(v, s.getArr().dup());
        } else if (t == VariableType.CONSTANT) {
            target.constant(v, s.getArr().dup());
        } else {
            throw new IllegalStateException("Op '" + op + "' reads " + t + " '" + v + "', which is not part of its"
                    + " module");
        }
        return v;
    }
}
