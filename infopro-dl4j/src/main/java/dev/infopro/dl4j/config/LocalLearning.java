package dev.infopro.dl4j.config;

import dev.infopro.dl4j.heads.AuxClassifierHead;
import dev.infopro.dl4j.heads.AuxNetConfig;
import dev.infopro.dl4j.heads.HeadLoss;
import dev.infopro.dl4j.heads.ReconstructionHead;
import dev.infopro.dl4j.heads.AuxiliaryHead;
import lombok.AccessLevel;
import lombok.EqualsAndHashCode;
import lombok.NoArgsConstructor;
import lombok.ToString;

import java.io.Serializable;

/**
 * The training method: which auxiliary heads train the local modules 1..K-1. The last module always uses the
 * network's own loss. Heads are supplied by the caller, so the engine depends only on {@link AuxiliaryHead}.
 *
 * <ul>
 *   <li>{@link #endToEnd()}: K = 1, ordinary back-propagation through the whole network.</li>
 *   <li>{@link #greedy(AuxiliaryHead)}: each local module trained by a classifier (config 0c1f in the reference)
 *       with cross-entropy only (lambda1 = 0, lambda2 = 1 for every module).</li>
 *   <li>{@link #infoProSoftmax} / {@link #infoProContrast}: lambda1 * reconstruction (decoder) + lambda2 *
 *       classifier CE (softmax) or supervised-contrastive (contrast) loss; lambdas from a {@link LambdaSchedule}.</li>
 * </ul>
 */
@EqualsAndHashCode
@ToString
@NoArgsConstructor(access = AccessLevel.PRIVATE, force = true)
public final class LocalLearning implements Serializable {

    /** The method family. */
    public enum Kind {
        /** One module trained with the network's own loss: ordinary back-propagation. */
        END_TO_END,
        /** Greedy supervised learning: each local module trained by a classifier head alone. */
        GREEDY,
        /** InfoPro with the decoder and a softmax cross-entropy classifier head. */
        INFOPRO_SOFTMAX,
        /** InfoPro with the decoder and a projection head trained by supervised contrastive loss. */
        INFOPRO_CONTRAST
    }

    private final Kind kind;
    private final AuxiliaryHead reconstructionHead;
    private final AuxiliaryHead labelHead;

    private LocalLearning(Kind kind, AuxiliaryHead reconstructionHead, AuxiliaryHead labelHead) {
        this.kind = kind;
        this.reconstructionHead = reconstructionHead;
        this.labelHead = labelHead;
    }

    /** Plain end-to-end training (one module, no heads). */
    public static LocalLearning endToEnd() {
        return new LocalLearning(Kind.END_TO_END, null, null);
    }

    /** Greedy SL with the reference's head: global average pooling and one linear layer ({@code 0c1f}), softmax CE. */
    public static LocalLearning greedy() {
        return greedy(new AuxClassifierHead(AuxNetConfig.C0F1, HeadLoss.SOFTMAX));
    }

    /** InfoPro (Softmax) with the reference heads: the decoder (docs/method.md §2.3) and a {@code 1c2f} softmax classifier. */
    public static LocalLearning infoProSoftmax() {
        return infoProSoftmax(new ReconstructionHead(), new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.SOFTMAX));
    }

    /**
     * InfoPro (Contrast) as in every command of the reference: the decoder (docs/method.md §2.3) and a {@code 1c2f} projection
     * head of dimension 128 trained with SupCon at temperature 0.07 (docs/method.md §2.4, §2.5).
     */
    public static LocalLearning infoProContrast() {
        return infoProContrast(new ReconstructionHead(), new AuxClassifierHead(AuxNetConfig.C1F2, HeadLoss.CONTRAST));
    }

    /**
     * Greedy supervised learning: every local module trained by {@code classifier} (CLASS_LABELS target) alone.
     */
    public static LocalLearning greedy(AuxiliaryHead classifier) {
        requireTarget(classifier, AuxiliaryHead.Target.CLASS_LABELS, "greedy classifier");
        return new LocalLearning(Kind.GREEDY, null, classifier);
    }

    /**
     * InfoPro (Softmax): lambda1 * decoder BCE + lambda2 * classifier cross-entropy.
     *
     * @param decoder    reconstruction head (INPUT_IMAGE target)
     * @param classifier softmax classifier head (CLASS_LABELS target)
     */
    public static LocalLearning infoProSoftmax(AuxiliaryHead decoder, AuxiliaryHead classifier) {
        requireTarget(decoder, AuxiliaryHead.Target.INPUT_IMAGE, "InfoPro decoder");
        requireTarget(classifier, AuxiliaryHead.Target.CLASS_LABELS, "InfoPro classifier");
        return new LocalLearning(Kind.INFOPRO_SOFTMAX, decoder, classifier);
    }

    /**
     * InfoPro (Contrast): lambda1 * decoder BCE + lambda2 * supervised-contrastive loss of a projection head.
     *
     * @param decoder    reconstruction head (INPUT_IMAGE target)
     * @param projection projection head with a SupCon loss (CLASS_LABELS target)
     */
    public static LocalLearning infoProContrast(AuxiliaryHead decoder, AuxiliaryHead projection) {
        requireTarget(decoder, AuxiliaryHead.Target.INPUT_IMAGE, "InfoPro decoder");
        requireTarget(projection, AuxiliaryHead.Target.CLASS_LABELS, "InfoPro projection head");
        return new LocalLearning(Kind.INFOPRO_CONTRAST, decoder, projection);
    }

    private static void requireTarget(AuxiliaryHead head, AuxiliaryHead.Target target, String role) {
        if (head == null) {
            throw new IllegalArgumentException("The " + role + " must not be null");
        }
        if (head.target() != target) {
            throw new IllegalArgumentException("The " + role + " must have target " + target + " but "
                    + head.getClass().getSimpleName() + " has target " + head.target());
        }
    }

    /** The method family. */
    public Kind getKind() {
        return kind;
    }

    /** The reconstruction head, or null (end-to-end, greedy). */
    public AuxiliaryHead getReconstructionHead() {
        return reconstructionHead;
    }

    /** The classifier / projection head, or null (end-to-end). */
    public AuxiliaryHead getLabelHead() {
        return labelHead;
    }

    /** Whether this method uses a lambda schedule (the InfoPro variants). */
    public boolean usesLambdas() {
        return kind == Kind.INFOPRO_SOFTMAX || kind == Kind.INFOPRO_CONTRAST;
    }

    /**
     * The lambdas of local module {@code localIndex}: from the schedule for InfoPro, {0, 1} for greedy.
     */
    public double[] lambdas(LambdaSchedule schedule, int localIndex, int numLocal) {
        switch (kind) {
            case GREEDY:
                return new double[]{0.0, 1.0};
            case END_TO_END:
                throw new IllegalStateException("End-to-end training has no local modules");
            default:
                if (schedule == null) {
                    throw new IllegalArgumentException(kind + " needs lambdas: call .lambdas(LambdaSchedule.linear("
                            + "ixx1, ixy1, ixx2, ixy2)) or LambdaSchedule.explicit(...)");
                }
                return schedule.lambdas(localIndex, numLocal);
        }
    }
}
