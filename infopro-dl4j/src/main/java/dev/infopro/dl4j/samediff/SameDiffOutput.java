package dev.infopro.dl4j.samediff;

import dev.infopro.dl4j.losses.InfoProLosses;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** The network's own loss on its last unit's output (the last module's objective) and its prediction. */
public interface SameDiffOutput {

    /** The scalar loss of {@code output} against {@code labels}. */
    SDVariable loss(SameDiff sd, SDVariable output, SDVariable labels);

    /** What inference returns for {@code output} (e.g. class probabilities). */
    SDVariable predict(SameDiff sd, SDVariable output);

    /** Logits in, softmax cross-entropy (mean over the batch) as loss and softmax probabilities as prediction. */
    static SameDiffOutput softmaxCrossEntropy() {
        return new SameDiffOutput() {
            @Override
            public SDVariable loss(SameDiff sd, SDVariable output, SDVariable labels) {
                return InfoProLosses.softmaxCrossEntropy(sd, output, labels);
            }

            @Override
            public SDVariable predict(SameDiff sd, SDVariable output) {
                return sd.nn.softmax(output, 1);
            }
        };
    }
}
