package dev.infopro.dl4j.planning;

import lombok.Value;

/**
 * Analytic training memory of a network trained end to end or as K local modules, from DL4J's memory reports.
 *
 * <p>{@code fixedBytes} = parameters, parameter gradients and updater state of every module (all are kept for the
 * whole run); {@code perModuleVariableBytes[k]} = activations, activation gradients and working memory of module k
 * (backbone part and heads) for the mini-batch; only one module's variable memory is alive at a time, so the total is
 * {@code fixedBytes + max(perModuleVariableBytes)}. End-to-end training is the case K = 1.
 */
@Value
public class MemoryEstimate {
    /** Mini-batch size the figures are for. */
    int batchSize;
    /** Parameters + gradients + updater state of all modules, bytes. */
    long fixedBytes;
    /** Activation + working memory of each module, bytes. */
    long[] perModuleVariableBytes;

    /** The largest module's variable memory, bytes. */
    public long peakVariableBytes() {
        long m = 0;
        for (long v : perModuleVariableBytes) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Estimated peak training memory: fixed + the largest module's variable memory, bytes. */
    public long totalBytes() {
        return fixedBytes + peakVariableBytes();
    }

    /** Index of the module with the largest variable memory. */
    public int largestModule() {
        int arg = 0;
        for (int k = 1; k < perModuleVariableBytes.length; k++) {
            if (perModuleVariableBytes[k] > perModuleVariableBytes[arg]) {
                arg = k;
            }
        }
        return arg;
    }
}
