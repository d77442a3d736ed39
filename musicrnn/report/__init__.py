"""Reports on a trained model, where the model side and the music side meet: the quality of its samples as
music, and its model card. Like the app and the CLI, this layer may import from every other.

    quality      sample tunes, check them as music, measure copying from the training tunes
    model_card   measure everything the card shows;  card_text: the card's README from card.json
    machine      the machine a figure was measured on
"""
