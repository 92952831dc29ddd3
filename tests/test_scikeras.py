"""AutoencoderTransformer codes feeding a scikeras KerasClassifier in one Pipeline."""

import keras
from scikeras import wrappers as scikeras_wrappers
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer


def softmax_classifier(meta):
    """scikeras model builder: one hidden layer on the latent codes."""
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_codes_feed_a_keras_classifier():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("ae", AutoencoderTransformer(z_dim=8, epochs=40, random_state=0)),
            (
                "clf",
                scikeras_wrappers.KerasClassifier(
                    softmax_classifier, epochs=60, verbose=0, random_state=0
                ),
            ),
        ]
    )
    pipe.fit(X_train, y_train)
    assert pipe.named_steps["clf"].model_.input_shape == (None, 8)
    assert pipe.score(X_test, y_test) > 0.8  # ten classes: chance is 0.1
