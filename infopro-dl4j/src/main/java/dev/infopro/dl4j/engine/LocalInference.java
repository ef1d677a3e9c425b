package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.backend.NativeHeap;
import dev.infopro.dl4j.data.IteratorChecks;
import org.nd4j.evaluation.IEvaluation;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Inference and evaluation of a local model: the backbone only (no heads), in test mode, module by module, each
 * intermediate h_k freed as soon as the next module has consumed it.
 */
final class LocalInference {
    private final Function<INDArray[], List<ModuleTrainer>> modules;
    private final BooleanSupplier releaseNativeMemory;
    private List<ModuleTrainer> trainers = List.of();

    /**
     * @param modules             the modules in order for a batch of network inputs (a model not yet built builds
     *                            them from the batch's shapes)
     * @param releaseNativeMemory the current native-memory policy: whether to destroy the workspaces after an
     *                            evaluation and hand freed memory back to the OS
     */
    LocalInference(Function<INDArray[], List<ModuleTrainer>> modules, BooleanSupplier releaseNativeMemory) {
        this.modules = modules;
        this.releaseNativeMemory = releaseNativeMemory;
    }

    /** The network outputs, as the original graph's {@code output(false, inputs)} would return them. */
    INDArray[] output(INDArray... inputs) {
        trainers = modules.apply(inputs);
        INDArray[] in = inputs;
        for (int k = 0; k < trainers.size() - 1; k++) {
            INDArray h = moduleOutput(k, in)[0];
            if (k > 0) {
                release(in[0], h);
            }
            in = new INDArray[]{h};
        }
        INDArray[] out = trainers.get(trainers.size() - 1).output(in);
        if (trainers.size() > 1) {
            release(in[0], out[0]);
        }
        return out;
    }

    private INDArray[] moduleOutput(int k, INDArray[] in) {
        try {
            return trainers.get(k).output(in);
        } catch (GraphModuleTrainer.InferenceViewRejectedException e) {
            destroyWorkspaces(); // the rejected call may have left workspaces open; the module now uses feedForward
            return trainers.get(k).output(in);
        }
    }

    /** Fills in {@code evaluations} with the first network output on {@code data}. */
    <T extends IEvaluation> T[] doEvaluation(DataSetIterator data, T[] evaluations) {
        if (data.resetSupported()) {
            data.reset();
        }
        long workspacesBefore = workspaceBytes();
        try {
            while (data.hasNext()) {
                DataSet ds = data.next();
                IteratorChecks.requireEvaluationLabels(ds);
                INDArray out = output(ds.getFeatures())[0];
                for (IEvaluation e : evaluations) {
                    e.eval(ds.getLabels(), out);
                }
                release(out, null);
                if (releaseNativeMemory.getAsBoolean()) {
                    // Each batch's freed memory goes back now: trimmed only at the end, the C heap of an evaluation
                    // over 10,000 images reached twice the training peak (docs/benchmarks/memory.md, section 8).
                    NativeHeap.trim();
                }
            }
        } finally {
            if (releaseNativeMemory.getAsBoolean()) {
                releaseAfterEvaluation(workspacesBefore);
            }
        }
        return evaluations;
    }

    // Inference runs in the same per-thread workspaces as training (WS_ALL_LAYERS_ACT, WS_LAYER_WORKING_MEM, ...),
    // so an evaluation normally leaves them as training sized them. Destroying them anyway made every epoch start
    // with a step that sizes them again, allocating each activation on its own; that step set the epoch's peak, and
    // the arena fragmentation it left grew the peak epoch after epoch (docs/benchmarks/memory.md, section 8). So
    // they are destroyed only when the evaluation enlarged them (e.g. a test batch larger than the training batch).
    private void releaseAfterEvaluation(long workspacesBefore) {
        if (workspaceBytes() > workspacesBefore) {
            destroyWorkspaces();
        } else {
            NativeHeap.trim();
        }
    }

    /** Bytes reserved by the workspaces of the calling thread. */
    static long workspaceBytes() {
        long sum = 0;
        for (MemoryWorkspace w : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
            sum += w.getCurrentSize();
        }
        return sum;
    }

    // Destroys every workspace of this thread (training's too), so the next training step sizes them again, with
    // the same first-step care as at the start.
    private void destroyWorkspaces() {
        Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
        for (ModuleTrainer t : trainers) {
            t.resetWorkspaceSizing();
        }
        if (releaseNativeMemory.getAsBoolean()) {
            NativeHeap.trim();
        }
    }

    /** Frees {@code a} now unless it is {@code keep} or cannot be closed (a view, or workspace memory). */
    private static void release(INDArray a, INDArray keep) {
        if (a != null && a != keep && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }
}
