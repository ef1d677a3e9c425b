package dev.infopro.dl4j.backend;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Arrays that DL4J requires a helper to return but that nothing reads: they have the right shape and read as zeros
 * everywhere, with one element of memory behind them (every stride 0), so that making them costs neither the
 * computation nor the memory of the array they stand for.
 */
final class UnreadArrays {
    private UnreadArrays() {
    }

    /**
     * Zeros of {@code shape}, all strides 0, over a fresh one-element buffer (never shared with another) outside any
     * workspace: DL4J accepts a detached array wherever it checks that a result lies in the workspace it expects.
     */
    static INDArray zeros(DataType type, long[] shape) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return Nd4j.create(Nd4j.scalar(type, 0).data(), shape, new long[shape.length], 0, 'c');
        }
    }
}
