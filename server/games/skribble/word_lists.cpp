// Built-in skribble word lists by difficulty (197 easy, 188 medium, 195 hard) and the file loader.
#include "server/games/skribble/word_lists.hpp"

#include <fstream>
#include <stdexcept>

namespace roomctl::games::skribble {

WordLists builtin_word_lists() {
  WordLists lists;
  lists.easy = {
      "apple", "banana", "ball", "cat", "dog", "sun", "moon", "star", "tree", "house", "car",
      "boat", "fish", "bird", "book", "chair", "table", "cup", "hat", "shoe", "sock", "door",
      "window", "key", "bed", "lamp", "clock", "phone", "cake", "egg", "milk", "bread", "pizza",
      "cookie", "candle", "flower", "leaf", "rain", "snow", "cloud", "fire", "water", "bus",
      "train", "plane", "kite", "drum", "bell", "ring", "spoon", "fork", "knife", "plate", "bowl",
      "bottle", "box", "bag", "hand", "foot", "eye", "nose", "ear", "mouth", "hair", "tooth",
      "heart", "smile", "baby", "king", "queen", "robot", "ghost", "horse", "cow", "pig", "duck",
      "frog", "bee", "ant", "snail", "snake", "lion", "tiger", "bear", "mouse", "rabbit",
      "turtle", "whale", "shark", "owl", "pie", "orange", "lemon", "grape", "cherry", "carrot",
      "corn", "potato", "tomato", "onion", "cheese", "butter", "honey", "ice", "cream", "pencil",
      "pen", "crayon", "paper", "scissors", "glue", "brush", "paint", "shirt", "pants", "dress",
      "coat", "scarf", "glove", "boot", "umbrella", "balloon", "gift", "toy", "doll", "teddy",
      "block", "puzzle", "ladder", "fence", "bridge", "road", "hill", "river", "lake", "beach",
      "island", "anchor", "shell", "crab", "sand", "castle", "tent", "camp", "map", "flag",
      "rocket", "planet", "comet", "rainbow", "lightning", "tornado", "volcano", "mountain",
      "desert", "cactus", "palm", "mushroom", "nest", "chicken", "sheep", "goat", "donkey",
      "zebra", "giraffe", "elephant", "monkey", "penguin", "dolphin", "octopus", "spider",
      "butterfly", "ladybug", "worm", "bone", "skull", "crown", "sword", "shield", "bow", "arrow",
      "hammer", "saw", "nail", "screw", "wheel", "tire", "bicycle", "skateboard", "sled", "swing",
      "slide", "seesaw", "bench", "park", "garden", "pool",};
  lists.medium = {
      "airport", "bakery", "castle", "circus", "dentist", "doctor", "engineer", "farmer",
      "firefighter", "gardener", "judge", "library", "lighthouse", "magician", "mechanic",
      "museum", "nurse", "painter", "pilot", "plumber", "police", "station", "postman",
      "scientist", "sculptor", "singer", "soldier", "teacher", "waiter", "zookeeper", "acrobat",
      "astronaut", "backpack", "binoculars", "blender", "calculator", "calendar", "camera",
      "compass", "computer", "dishwasher", "doorbell", "elevator", "escalator", "fireworks",
      "flashlight", "fountain", "generator", "headphones", "helmet", "hourglass", "keyboard",
      "laptop", "lawnmower", "magnet", "microphone", "microscope", "microwave", "mirror",
      "necklace", "notebook", "padlock", "parachute", "passport", "piano", "printer", "projector",
      "radio", "refrigerator", "remote", "satellite", "saxophone", "skyscraper", "submarine",
      "suitcase", "telescope", "television", "thermometer", "toaster", "tractor", "trampoline",
      "treadmill", "trumpet", "typewriter", "vacuum", "violin", "volleyball", "wardrobe",
      "waterfall", "wheelchair", "windmill", "xylophone", "yacht", "accordion", "aquarium",
      "avalanche", "ballerina", "barbecue", "basketball", "battery", "beehive", "blizzard",
      "bonfire", "bookshelf", "bowling", "broccoli", "bulldozer", "cabbage", "campfire", "canoe",
      "carousel", "cauliflower", "chandelier", "chimney", "coconut", "cowboy", "crocodile",
      "cupcake", "dinosaur", "dragonfly", "eclipse", "eggplant", "emerald", "envelope",
      "fingerprint", "flamingo", "football", "glacier", "gorilla", "graveyard", "grasshopper",
      "hamburger", "hammock", "harbor", "hedgehog", "helicopter", "hippopotamus", "hurricane",
      "igloo", "jellyfish", "kangaroo", "koala", "lobster", "meteor", "mermaid", "mosquito",
      "motorcycle", "noodles", "ostrich", "pancake", "panda", "parrot", "peacock", "pelican",
      "pharaoh", "pineapple", "pirate", "popcorn", "porcupine", "pumpkin", "pyramid", "raccoon",
      "reindeer", "rhinoceros", "sandcastle", "sandwich", "scarecrow", "seahorse", "snowman",
      "spaceship", "squirrel", "starfish", "stethoscope", "strawberry", "sunflower", "surfboard",
      "swan", "taco", "tambourine", "tornado", "toucan", "tuxedo", "unicorn", "vampire", "walrus",
      "watermelon", "werewolf", "wizard",};
  lists.hard = {
      "acceleration", "adolescence", "allergy", "ambition", "anesthesia", "antique", "applause",
      "archaeology", "architecture", "atmosphere", "autobiography", "bankruptcy", "biography",
      "blueprint", "bureaucracy", "camouflage", "carbon", "footprint", "catastrophe",
      "censorship", "ceremony", "charity", "chemistry", "citizenship", "civilization",
      "claustrophobia", "coincidence", "communication", "compromise", "confidence", "conscience",
      "constellation", "contradiction", "convection", "coordination", "curiosity", "democracy",
      "deodorant", "depression", "diagnosis", "diplomacy", "disappointment", "documentary",
      "dehydration", "earthquake", "economy", "education", "electricity", "embarrassment",
      "encyclopedia", "entrepreneur", "equator", "evaporation", "evolution", "exhaustion",
      "experiment", "explosion", "fascination", "federation", "forgiveness", "friction",
      "frustration", "generation", "geography", "gravity", "hallucination", "harmony",
      "hibernation", "hierarchy", "humidity", "hypnosis", "imagination", "immigration",
      "incognito", "independence", "inflation", "inheritance", "insomnia", "inspiration",
      "intelligence", "interview", "invention", "investigation", "irrigation", "jealousy",
      "journalism", "jurisdiction", "kaleidoscope", "knowledge", "labyrinth", "legislation",
      "leverage", "longitude", "loyalty", "lullaby", "manuscript", "marathon", "meditation",
      "melancholy", "metabolism", "metamorphosis", "migration", "mythology", "negotiation",
      "nostalgia", "nutrition", "observatory", "obsession", "optimism", "orchestra", "origami",
      "paradox", "parliament", "perspective", "philosophy", "photosynthesis", "pilgrimage",
      "plagiarism", "pollution", "population", "precipitation", "prejudice", "procrastination",
      "propaganda", "prosperity", "psychology", "quarantine", "recession", "recycling",
      "reflection", "rehearsal", "reincarnation", "renaissance", "reputation", "resignation",
      "revolution", "sarcasm", "satellite", "dish", "scholarship", "sculpture", "silhouette",
      "skepticism", "solar", "eclipse", "solitude", "souvenir", "sportsmanship", "stalemate",
      "stereotype", "strategy", "subscription", "superstition", "surveillance", "symmetry",
      "sympathy", "telepathy", "temperature", "territory", "thunderstorm", "tradition",
      "tranquility", "transparency", "turbulence", "unemployment", "vaccination", "vegetarian",
      "velocity", "ventriloquist", "vocabulary", "volunteer", "wilderness", "withdrawal",
      "zodiac", "hieroglyphics", "avalanche", "warning", "black", "hole", "time", "travel",
      "virtual", "reality", "global", "warming", "artificial", "social", "media", "stock",
      "market", "traffic", "jam", "jet", "lag", "vu",};
  return lists;
}

std::vector<std::string> load_words(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open word list");
  std::vector<std::string> words;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    words.push_back(line);
  }
  if (words.empty()) throw std::runtime_error(path + ": no words");
  return words;
}

const std::vector<std::string>& WordLists::for_difficulty(const std::string& d) const {
  if (d == "hard") return hard;
  if (d == "medium") return medium;
  return easy;
}

}  // namespace roomctl::games::skribble
