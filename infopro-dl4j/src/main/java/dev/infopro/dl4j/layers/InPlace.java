package dev.infopro.dl4j.layers;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The one test for whether an in-place layer or vertex may overwrite an input array. */
final class InPlace {
    private InPlace() {
    }

    /**
     * Whether {@code in} lives in the activation workspace of the running training pass: then it was made by the
     * network in this pass and belongs to it, not to the caller (a caller's array, or any array when workspaces are
     * off, is never overwritten).
     */
    static boolean ownedByThePass(INDArray in, LayerWorkspaceMgr mgr) {
        if (in == null || !in.isAttached() || mgr.isScopedOut(ArrayType.ACTIVATIONS)
                || !mgr.isWorkspaceOpen(ArrayType.ACTIVATIONS)) {
            return false;
        }
        MemoryWorkspace ws = in.data().getParentWorkspace();
        return ws != null && ws.getId().equals(mgr.getWorkspaceName(ArrayType.ACTIVATIONS));
    }
}
