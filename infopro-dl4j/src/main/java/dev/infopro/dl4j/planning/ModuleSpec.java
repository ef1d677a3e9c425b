package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.heads.AuxiliaryHead;
import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.NoArgsConstructor;
import lombok.Value;

import java.io.Serializable;
import java.util.List;

/**
 * What one module's sub-graph contains: its inputs, its backbone vertices, the cut vertex whose output h_k is
 * handed to the next module, and its outputs with the labels each one is trained against.
 */
@Value
@AllArgsConstructor
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public class ModuleSpec implements Serializable {
    /** 0-based module index. */
    int index;
    /** The module's network inputs: the original inputs for module 0, else the previous cut vertex's name. */
    List<String> inputNames;
    /** Backbone vertices of this module (from the original graph), in topological order. */
    List<String> backboneVertices;
    /** The cut vertex (output h_k), or null for the last module. */
    String cutVertex;
    /** The module graph's outputs: head output layers (local modules) or the original outputs (last module). */
    List<String> outputNames;
    /** For local modules the target of each output; null for the last module (it uses the data set's labels). */
    List<AuxiliaryHead.Target> outputTargets;
    /** {lambda1, lambda2} of a local module, null for the last module. */
    double[] lambdas;

    /** Whether this is the last module (trained with the network's own loss). */
    public boolean isLast() {
        return cutVertex == null;
    }
}
