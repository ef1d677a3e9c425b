package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import dev.infopro.dl4j.planning.ModuleSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The default {@link ModuleExecutor}: modules run one after another on the calling thread, so only one module's
 * activations are alive at a time. Module k's cut activation is copied right after its forward pass, before any
 * parameter step, so all modules see activations of the same (pre-step) weights: the reference code's
 * "simultaneous" training with one optimizer step per batch (docs/method.md §5). The updates are applied after the
 * last module, once every loss and gradient is known to be finite; as the modules' parameters are disjoint, this
 * equals stepping each module right after its backward pass.
 */
public final class SequentialExecutor implements ModuleExecutor {

    @Override
    public StepOutcome step(List<ModuleTrainer> trainers, INDArray[] features, INDArray[] labels,
                            ReconstructionTarget target, int iteration, int epoch) {
        List<INDArray> transients = new ArrayList<>();
        try {
            return run(trainers, features, labels, target, iteration, epoch, transients);
        } finally {
            // The detached h_k copies and the reconstruction target live outside workspaces; free them now rather
            // than when the garbage collector gets to them, so off-heap memory does not pile up between GCs.
            for (INDArray a : transients) {
                if (a.closeable()) {
                    a.close();
                }
            }
        }
    }

    private StepOutcome run(List<ModuleTrainer> trainers, INDArray[] features, INDArray[] labels,
                            ReconstructionTarget target, int iteration, int epoch, List<INDArray> transients) {
        int batchSize = (int) features[0].size(0);
        ModuleLabels moduleLabels = new ModuleLabels(features[0], labels, target, transients);
        double[] scores = new double[trainers.size()];
        double[] seconds = new double[trainers.size()];
        INDArray[] in = features;
        for (int k = 0; k < trainers.size(); k++) {
            ModuleTrainer t = trainers.get(k);
            ModuleStepResult r;
            long t0 = System.nanoTime();
            try {
                r = t.computeGradient(in, moduleLabels.of(t.getSpec()), iteration, epoch);
            } catch (OutOfMemoryError | RuntimeException e) {
                if (ModuleOutOfMemoryException.isOutOfMemory(e)) {
                    throw new ModuleOutOfMemoryException(k, trainers.size(), batchSize, e);
                }
                throw e;
            }
            seconds[k] = (System.nanoTime() - t0) / 1e9;
            scores[k] = r.getScore();
            if (!r.isFinite()) {
                Arrays.fill(scores, k + 1, scores.length, Double.NaN);
                for (ModuleTrainer other : trainers) {
                    other.discardGradient();
                }
                return new StepOutcome(scores, k, r.getNonFinite(), seconds);
            }
            if (r.getCutActivation() != null) {
                transients.add(r.getCutActivation());
                in = new INDArray[]{r.getCutActivation()};
            }
        }
        for (int k = 0; k < trainers.size(); k++) {
            long t0 = System.nanoTime();
            trainers.get(k).applyUpdate(iteration, epoch, batchSize);
            seconds[k] += (System.nanoTime() - t0) / 1e9;
        }
        return new StepOutcome(scores, -1, null, seconds);
    }

    /** The label arrays of each module: the class labels, or the de-normalised input as reconstruction target. */
    static final class ModuleLabels {
        private final INDArray features;
        private final INDArray[] labels;
        private final ReconstructionTarget target;
        private final List<INDArray> transients;
        private INDArray x01;

        ModuleLabels(INDArray features, INDArray[] labels, ReconstructionTarget target, List<INDArray> transients) {
            this.features = features;
            this.labels = labels;
            this.target = target;
            this.transients = transients;
        }

        INDArray[] of(ModuleSpec spec) {
            if (spec.isLast()) {
                return labels;
            }
            INDArray[] out = new INDArray[spec.getOutputTargets().size()];
            for (int o = 0; o < out.length; o++) {
                if (spec.getOutputTargets().get(o) == AuxiliaryHead.Target.INPUT_IMAGE) {
                    if (x01 == null) {
                        x01 = target.of(features);
                        transients.add(x01);
                    }
                    out[o] = x01;
                } else {
                    out[o] = labels[0];
                }
            }
            return out;
        }
    }
}
