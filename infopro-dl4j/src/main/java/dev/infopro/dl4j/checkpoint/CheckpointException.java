package dev.infopro.dl4j.checkpoint;

/** A checkpoint could not be read or verified, or none of the checkpoints in a directory is valid. */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and what to do about it
     * @param cause   the underlying error, or null
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
